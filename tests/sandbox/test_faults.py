"""Fault injection: tiktok_sandbox.faults and how each endpoint answers a fault."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tests.sandbox.conftest import (
    STATE,
    Authorized,
    add_data_request,
    assert_api_error,
    assert_oauth_error,
    call_data,
    callback_params,
    check,
    decide,
    download,
    exchange,
    new_request_id,
    revoke,
    user_info,
)
from tiktok_sandbox.faults import clear_faults, inject_fault, take_fault


def test_token_fault_is_answered_times_times_then_service_resumes(
    client: Client, authorized: Authorized
) -> None:
    inject_fault("token", error="server_error", http_status=503, description="Down.", times=2)

    for _ in range(2):
        body = assert_oauth_error(exchange(client, authorized), "server_error", 503)
        assert body["error_description"] == "Down."
    assert exchange(client, authorized).status_code == 200


def test_authorize_fault_redirects_with_its_error_and_state_once(client: Client) -> None:
    inject_fault("authorize", error="server_error", http_status=500, description="Oops.")

    assert callback_params(decide(client)) == {
        "error": "server_error",
        "error_description": "Oops.",
        "state": STATE,
    }
    assert "code" in callback_params(decide(client))


def test_revoke_fault_is_a_flat_oauth_error_once(client: Client, tokens: dict[str, Any]) -> None:
    inject_fault("revoke", error="temporarily_unavailable", http_status=503)

    assert_oauth_error(revoke(client, tokens["access_token"]), "temporarily_unavailable", 503)
    assert revoke(client, tokens["access_token"]).json() == {}


def test_user_info_fault_is_a_v2_envelope_error_once(
    client: Client, tokens: dict[str, Any]
) -> None:
    inject_fault("user_info", error="rate_limit_exceeded", http_status=429, description="Slow.")

    error = assert_api_error(
        user_info(client, tokens["access_token"], "open_id"), "rate_limit_exceeded", 429
    )
    assert error["message"] == "Slow."
    assert user_info(client, tokens["access_token"], "open_id").status_code == 200


def test_faults_of_one_endpoint_leave_the_others_alone(
    client: Client, tokens: dict[str, Any]
) -> None:
    inject_fault("token", error="server_error", http_status=500)

    assert user_info(client, tokens["access_token"], "open_id").status_code == 200
    assert take_fault("token") is not None


def test_faults_are_taken_in_the_order_injected(db: None) -> None:
    inject_fault("token", error="first", http_status=500)
    inject_fault("token", error="second", http_status=500)

    taken = [take_fault("token"), take_fault("token"), take_fault("token")]

    assert [fault.error if fault else None for fault in taken] == ["first", "second", None]


def test_cleared_faults_are_no_longer_taken(db: None) -> None:
    inject_fault("token", error="server_error", http_status=500, times=3)

    assert clear_faults("token") == 1
    assert take_fault("token") is None


@pytest.mark.parametrize(
    "arguments",
    [
        {"endpoint": "nowhere"},
        {"http_status": 200},
        {"error": " "},
        {"times": 0},
    ],
)
def test_inject_fault_refuses_nonsense(db: None, arguments: dict[str, Any]) -> None:
    call = {"endpoint": "token", "error": "server_error", "http_status": 500, **arguments}
    endpoint = call.pop("endpoint")

    with pytest.raises(ValueError, match=r"."):
        inject_fault(endpoint, **call)


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_take_a_fault_exactly_times_times() -> None:
    inject_fault("token", error="server_error", http_status=500, times=3)
    start = threading.Barrier(8)

    def take() -> bool:
        start.wait()
        try:
            return take_fault("token") is not None
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        taken = list(pool.map(lambda _: take(), range(8)))

    assert taken.count(True) == 3


@pytest.mark.usefixtures("ready_at_once")
@pytest.mark.parametrize("endpoint", ["add", "check", "cancel", "download"])
def test_data_portability_fault_is_a_v2_envelope_error_once(
    client: Client, data_tokens: dict[str, Any], endpoint: str
) -> None:
    token = data_tokens["access_token"]
    request_id = 0 if endpoint == "add" else new_request_id(client, token)
    inject_fault(endpoint, error="internal_error", http_status=500, description="Boom.")

    faulty = _call(client, endpoint, token, request_id)
    served = _call(client, endpoint, token, request_id)

    assert assert_api_error(faulty, "internal_error", 500)["message"] == "Boom."
    assert "Retry-After" not in faulty
    assert served.status_code == 200


def test_download_fault_carries_http_status_code_like_tiktoks_failures(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    inject_fault("download", error="internal_error", http_status=503)

    response = _call(client, "download", data_tokens["access_token"], 2**60)

    assert assert_api_error(response, "internal_error", 503)["http_status_code"] == 503


def test_throttling_fault_sends_retry_after(client: Client, data_tokens: dict[str, Any]) -> None:
    inject_fault("add", error="rate_limit_exceeded", http_status=429, retry_after=7)

    response = _call(client, "add", data_tokens["access_token"], 0)

    assert_api_error(response, "rate_limit_exceeded", 429)
    assert response["Retry-After"] == "7"


def test_inject_fault_refuses_a_negative_retry_after(db: None) -> None:
    with pytest.raises(ValueError, match="retry_after"):
        inject_fault("add", error="rate_limit_exceeded", http_status=429, retry_after=-1)


def _call(client: Client, endpoint: str, token: str, request_id: int) -> Any:
    if endpoint == "add":
        return add_data_request(client, token)
    if endpoint == "check":
        return check(client, token, request_id, "status")
    if endpoint == "cancel":
        return call_data(client, "cancel", token, {"request_id": request_id})
    return download(client, token, request_id)
