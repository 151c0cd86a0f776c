"""POST /v2/user/data/cancel/: cancelling a pending or ready request."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.sandbox.conftest import (
    OTHER_PERSONA,
    Clock,
    assert_api_error,
    call_data,
    grant_tokens,
    new_request_id,
    status_of,
)
from tiktok_sandbox.models import WebhookDelivery


@pytest.fixture(autouse=True)
def timed(settings: Any) -> None:
    settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 20.0
    settings.TIKTOK_SANDBOX_EXPORT_EXPIRES_AFTER = 100.0


def cancel(client: Client, token: str, request_id: Any) -> Any:
    return call_data(client, "cancel", token, {"request_id": request_id})


def test_cancel_by_body_answers_only_the_error_object_and_cancels(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    token = data_tokens["access_token"]
    request_id = new_request_id(client, token)

    response = cancel(client, token, request_id)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "ok"
    assert body["error"]["message"] == ""
    assert status_of(client, token, request_id) == "cancelled"


def test_cancel_by_query_parameter_cancels(client: Client, data_tokens: dict[str, Any]) -> None:
    token = data_tokens["access_token"]
    request_id = new_request_id(client, token)

    response = call_data(client, "cancel", token, query={"request_id": str(request_id)})

    assert response.status_code == 200
    assert status_of(client, token, request_id) == "cancelled"


def test_ready_request_can_be_cancelled(
    client: Client, data_tokens: dict[str, Any], clock: Clock
) -> None:
    token = data_tokens["access_token"]
    request_id = new_request_id(client, token)
    clock.advance(30)
    assert status_of(client, token, request_id) == "downloading"

    assert cancel(client, token, request_id).status_code == 200
    assert status_of(client, token, request_id) == "cancelled"


def test_cancelled_request_stays_cancelled_past_its_ready_and_expiry_times(
    client: Client, data_tokens: dict[str, Any], clock: Clock
) -> None:
    token = data_tokens["access_token"]
    request_id = new_request_id(client, token)
    cancel(client, token, request_id)

    clock.advance(1000)

    assert status_of(client, token, request_id) == "cancelled"


def test_cancelling_an_expired_request_is_refused(
    client: Client, data_tokens: dict[str, Any], clock: Clock
) -> None:
    token = data_tokens["access_token"]
    request_id = new_request_id(client, token)
    clock.advance(120)

    error = assert_api_error(cancel(client, token, request_id), "invalid_params", 400)

    assert "expired" in error["message"]
    assert status_of(client, token, request_id) == "expired"


def test_cancelling_twice_is_refused_the_second_time(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    token = data_tokens["access_token"]
    request_id = new_request_id(client, token)
    cancel(client, token, request_id)

    error = assert_api_error(cancel(client, token, request_id), "invalid_params", 400)

    assert "cancelled" in error["message"]


def test_cancelling_an_unknown_or_foreign_request_is_refused(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    theirs = grant_tokens(client, persona=OTHER_PERSONA.open_id)
    their_request = new_request_id(client, theirs["access_token"])

    assert_api_error(cancel(client, data_tokens["access_token"], 2**60), "invalid_params", 400)
    assert_api_error(
        cancel(client, data_tokens["access_token"], their_request), "invalid_params", 400
    )
    assert status_of(client, theirs["access_token"], their_request) == "pending"


def test_cancel_without_request_id_is_invalid_params(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    response = call_data(client, "cancel", data_tokens["access_token"])

    assert "request_id is missed" in assert_api_error(response, "invalid_params", 400)["message"]


def test_cancelling_a_pending_request_drops_its_ready_webhook(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    request_id = new_request_id(client, data_tokens["access_token"])

    cancel(client, data_tokens["access_token"], request_id)

    assert WebhookDelivery.objects.get().state == "skipped"
