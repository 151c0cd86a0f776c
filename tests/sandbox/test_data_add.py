"""POST /v2/user/data/add/?fields=request_id: creating a data request."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.sandbox.conftest import (
    ABROAD,
    PERSONA,
    add_data_request,
    assert_api_error,
    call_data,
    grant_tokens,
    revoke,
)
from tiktok_sandbox.models import PortabilityRequest, WebhookDelivery

VALID_BODY = {"data_format": "json", "category_selection_list": ["all_data"]}


def test_add_answers_a_json_number_request_id_above_2_to_the_53(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    response = add_data_request(client, data_tokens["access_token"])

    assert response.status_code == 200
    body = response.json()
    assert body["error"] == {"code": "ok", "message": "", "log_id": body["error"]["log_id"]}
    request_id = body["data"]["request_id"]
    assert isinstance(request_id, int)
    assert 2**53 < request_id < 2**63
    # A number on the wire, not a string: a client that parses it as a float would corrupt it.
    assert re.search(rb'"request_id": ?%d[,}]' % request_id, response.content)


def test_add_stores_the_request_as_submitted_with_its_times_and_scope(
    client: Client, data_tokens: dict[str, Any], settings: Any
) -> None:
    settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 30.0
    settings.TIKTOK_SANDBOX_EXPORT_EXPIRES_AFTER = 600.0
    settings.TIKTOK_SANDBOX_ARCHIVE_SIZE = 123_456

    response = add_data_request(client, data_tokens["access_token"], ["video", "profile"], "text")

    stored = PortabilityRequest.objects.get(request_id=response.json()["data"]["request_id"])
    assert stored.open_id == PERSONA.open_id
    assert stored.data_format == "text"
    assert stored.category_selection_list == ["video", "profile"]
    assert stored.scope == "portability.all.single"
    assert (stored.ready_at - stored.applied_at).total_seconds() == 30
    assert (stored.expires_at - stored.ready_at).total_seconds() == 600
    assert stored.archive_size == 123_456


def test_every_request_gets_its_own_id(client: Client) -> None:
    tokens = grant_tokens(client, scope="user.info.basic,portability.all.ongoing")

    ids = {
        add_data_request(client, tokens["access_token"]).json()["data"]["request_id"]
        for _ in range(5)
    }

    assert len(ids) == 5


def test_add_schedules_the_ready_webhook_for_the_ready_time(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    request_id = add_data_request(client, data_tokens["access_token"]).json()["data"]["request_id"]

    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "portability.download.ready"
    assert delivery.state == "scheduled"
    assert delivery.due_at == PortabilityRequest.objects.get(request_id=request_id).ready_at


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ({}, "fields is missed"),
        ({"fields": ""}, "fields is missed"),
        ({"fields": "status"}, "Invalid fields: status"),
        ({"fields": "request_id,nonsense"}, "Invalid fields: nonsense"),
    ],
)
def test_add_without_fields_request_id_is_invalid_params(
    client: Client, data_tokens: dict[str, Any], query: dict[str, str], problem: str
) -> None:
    response = call_data(client, "add", data_tokens["access_token"], VALID_BODY, query=query)

    assert problem in assert_api_error(response, "invalid_params", 400)["message"]
    assert not PortabilityRequest.objects.exists()


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (None, "body is missed"),
        ("{not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"category_selection_list": ["all_data"]}', "data_format is missed"),
        ('{"data_format": "csv", "category_selection_list": ["all_data"]}', "Invalid data_format"),
        ('{"data_format": "json"}', "category_selection_list is missed"),
        ('{"data_format": "json", "category_selection_list": []}', "non-empty list"),
        ('{"data_format": "json", "category_selection_list": "all_data"}', "non-empty list"),
        ('{"data_format": "json", "category_selection_list": ["videos"]}', "'videos'"),
        ('{"data_format": "json", "category_selection_list": ["video", 3]}', "3"),
    ],
)
def test_add_with_a_bad_body_is_invalid_params_saying_what_is_wrong(
    client: Client, data_tokens: dict[str, Any], body: str | None, problem: str
) -> None:
    response = call_data(
        client, "add", data_tokens["access_token"], raw=body or "", query={"fields": "request_id"}
    )

    assert problem in assert_api_error(response, "invalid_params", 400)["message"]
    assert not PortabilityRequest.objects.exists()


@pytest.mark.parametrize("token", ["act.unknown", ""])
def test_add_with_a_bad_token_is_access_token_invalid(client: Client, token: str) -> None:
    assert_api_error(add_data_request(client, token), "access_token_invalid", 401)


def test_add_with_a_revoked_token_is_access_token_invalid(
    client: Client, data_tokens: dict[str, Any]
) -> None:
    revoke(client, data_tokens["access_token"])

    assert_api_error(
        add_data_request(client, data_tokens["access_token"]), "access_token_invalid", 401
    )


def test_person_outside_the_eea_and_uk_is_refused_with_a_reason(client: Client) -> None:
    assert not ABROAD.in_eea_or_uk
    tokens = grant_tokens(client, persona=ABROAD.open_id)

    error = assert_api_error(
        add_data_request(client, tokens["access_token"]), "invalid_params", 400
    )

    assert error["message"] == "Data portability is only available to users in the EEA and the UK."
    assert not PortabilityRequest.objects.exists()


def test_add_answers_only_post(client: Client, data_tokens: dict[str, Any]) -> None:
    response = client.get(
        reverse("tiktok_sandbox:data_add") + "?fields=request_id",
        HTTP_AUTHORIZATION=f"Bearer {data_tokens['access_token']}",
    )

    assert response.status_code == 405
