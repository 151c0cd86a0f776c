"""POST /v2/user/data/check/?fields=...: a request's status and details."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.sandbox.conftest import (
    OTHER_PERSONA,
    Clock,
    assert_api_error,
    call_data,
    check,
    grant_tokens,
    new_request_id,
    status_of,
)
from tiktok_sandbox.models import PortabilityRequest

ALL_FIELDS = "request_id,apply_time,collect_time,status,data_format,category_selection_list"


@pytest.fixture
def timed(settings: Any) -> None:
    settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 20.0
    settings.TIKTOK_SANDBOX_EXPORT_EXPIRES_AFTER = 100.0


@pytest.mark.usefixtures("timed")
def test_status_goes_pending_then_downloading_then_expired(
    client: Client, data_tokens: dict[str, Any], clock: Clock
) -> None:
    token = data_tokens["access_token"]
    request_id = new_request_id(client, token)

    seen = [status_of(client, token, request_id)]
    clock.advance(19.9)
    seen.append(status_of(client, token, request_id))
    clock.advance(0.1)
    seen.append(status_of(client, token, request_id))
    clock.advance(99.9)
    seen.append(status_of(client, token, request_id))
    clock.advance(0.1)
    seen.append(status_of(client, token, request_id))

    assert seen == ["pending", "pending", "downloading", "downloading", "expired"]


@pytest.mark.usefixtures("timed")
def test_later_settings_do_not_change_an_existing_request(
    client: Client, data_tokens: dict[str, Any], clock: Clock, settings: Any
) -> None:
    token = data_tokens["access_token"]
    request_id = new_request_id(client, token)
    settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 0.0

    assert status_of(client, token, request_id) == "pending"
    clock.advance(20)
    assert status_of(client, token, request_id) == "downloading"


def test_check_answers_every_field_as_submitted(
    client: Client, data_tokens: dict[str, Any], clock: Clock
) -> None:
    token = data_tokens["access_token"]
    request_id = new_request_id(client, token, categories=["profile", "video"], data_format="text")

    response = check(client, token, request_id, ALL_FIELDS)

    assert response.status_code == 200
    body = response.json()
    assert body["error"]["code"] == "ok"
    applied = int(clock.now.timestamp())
    assert body["data"] == {
        "request_id": request_id,
        "apply_time": applied,
        "collect_time": body["data"]["collect_time"],
        "status": "pending",
        "data_format": "text",
        "category_selection_list": ["profile", "video"],
    }
    assert applied <= body["data"]["collect_time"] <= applied + 1


def test_check_answers_only_the_requested_fields(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    token = data_tokens["access_token"]
    request_id = new_request_id(client, token)

    data = check(client, token, request_id, "status,data_format").json()["data"]

    assert data == {"status": "pending", "data_format": "json"}


def test_check_echoes_duplicate_categories_exactly(client: Client) -> None:
    tokens = grant_tokens(client, scope="user.info.basic,portability.postsandprofile.ongoing")
    request_id = new_request_id(client, tokens["access_token"], categories=["video", "video"])

    data = check(client, tokens["access_token"], request_id, "category_selection_list").json()

    assert data["data"] == {"category_selection_list": ["video", "video"]}


@pytest.mark.parametrize(
    ("fields", "problem"),
    [(None, "fields is missed"), ("", "fields is missed"), ("status,size", "Invalid fields: size")],
)
def test_check_with_bad_fields_is_invalid_params(
    client: Client, data_tokens: dict[str, Any], fields: str | None, problem: str
) -> None:
    request_id = new_request_id(client, data_tokens["access_token"])
    query = {} if fields is None else {"fields": fields}

    response = call_data(
        client, "check", data_tokens["access_token"], {"request_id": request_id}, query=query
    )

    assert problem in assert_api_error(response, "invalid_params", 400)["message"]


def test_check_accepts_a_request_id_given_as_a_string_of_digits(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    request_id = new_request_id(client, data_tokens["access_token"])

    response = check(client, data_tokens["access_token"], str(request_id), "request_id")

    assert response.json()["data"] == {"request_id": request_id}


@pytest.mark.parametrize("request_id", [None, "12ab", 1.5, True, -3, 2**64, [1]])
def test_check_with_a_malformed_request_id_is_invalid_params(
    client: Client, data_tokens: dict[str, Any], request_id: Any
) -> None:
    new_request_id(client, data_tokens["access_token"])

    response = check(client, data_tokens["access_token"], request_id, "status")

    assert_api_error(response, "invalid_params", 400)


def test_request_id_corrupted_by_a_float_round_trip_is_unknown(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    request_id = new_request_id(client, data_tokens["access_token"])
    corrupted = int(float(request_id))
    if corrupted == request_id:  # one id in a few hundred survives a float: make another
        request_id = new_request_id(client, grant_tokens(client)["access_token"])
        corrupted = int(float(request_id))

    response = check(client, data_tokens["access_token"], corrupted, "status")

    assert_api_error(response, "invalid_params", 400)


def test_unknown_request_id_is_invalid_params(client: Client, data_tokens: dict[str, Any]) -> None:
    error = assert_api_error(
        check(client, data_tokens["access_token"], 2**60 + 7, "status"), "invalid_params", 400
    )

    assert error["message"] == "Incorrect `request_id`. Please validate the request."


def test_another_persons_request_is_invalid_params(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    theirs = grant_tokens(client, persona=OTHER_PERSONA.open_id)
    request_id = new_request_id(client, theirs["access_token"])

    response = check(client, data_tokens["access_token"], request_id, "status")

    assert_api_error(response, "invalid_params", 400)


def test_another_apps_request_is_invalid_params(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    request_id = new_request_id(client, data_tokens["access_token"])
    PortabilityRequest.objects.filter(request_id=request_id).update(client_key="another-app")

    response = check(client, data_tokens["access_token"], request_id, "status")

    assert_api_error(response, "invalid_params", 400)


def test_the_persons_later_grant_sees_requests_made_under_an_earlier_one(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    request_id = new_request_id(client, data_tokens["access_token"])

    later = grant_tokens(client)

    assert status_of(client, later["access_token"], request_id) == "pending"
