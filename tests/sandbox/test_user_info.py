"""GET /v2/user/info/?fields=... with a bearer token."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.sandbox.conftest import (
    PERSONA,
    assert_api_error,
    exchange,
    run_consent,
    user_info,
)


def test_user_info_answers_only_the_requested_fields(
    client: Client, tokens: dict[str, Any]
) -> None:
    response = user_info(client, tokens["access_token"], "open_id,display_name,follower_count")

    assert response.status_code == 200
    body = response.json()
    assert body["data"]["user"] == {
        "open_id": PERSONA.open_id,
        "display_name": PERSONA.display_name,
        "follower_count": PERSONA.follower_count,
    }
    assert body["error"]["code"] == "ok"
    assert body["error"]["message"] == ""
    assert len(body["error"]["log_id"]) == 34


def test_every_documented_field_is_served_with_its_scope(
    client: Client, tokens: dict[str, Any]
) -> None:
    fields = (
        "open_id,union_id,avatar_url,avatar_url_100,avatar_large_url,display_name,"
        "bio_description,profile_deep_link,is_verified,username,"
        "follower_count,following_count,likes_count,video_count"
    )

    user = user_info(client, tokens["access_token"], fields).json()["data"]["user"]

    assert list(user) == fields.split(",")
    assert user["union_id"] == PERSONA.union_id
    assert user["username"] == PERSONA.username
    assert user["is_verified"] is PERSONA.is_verified


def test_avatar_urls_are_absolute_and_serve_an_svg(client: Client, tokens: dict[str, Any]) -> None:
    user = user_info(client, tokens["access_token"], "avatar_url").json()["data"]["user"]

    assert user["avatar_url"].startswith("http://testserver/tiktok-sandbox/avatars/")
    avatar = client.get(user["avatar_url"].removeprefix("http://testserver"))
    assert avatar.status_code == 200
    assert avatar["Content-Type"] == "image/svg+xml"
    assert avatar.content.startswith(b"<svg")


def test_field_of_a_scope_not_granted_is_refused_as_scope_not_authorized(
    client: Client,
) -> None:
    authorized = run_consent(client, ticked=["user.info.profile"])
    access_token = exchange(client, authorized).json()["access_token"]

    assert user_info(client, access_token, "open_id,username").status_code == 200
    response = user_info(client, access_token, "open_id,follower_count")
    error = assert_api_error(response, "scope_not_authorized", 401)
    assert "user.info.stats" in error["message"]


def test_missing_bearer_token_is_an_invalid_access_token(client: Client) -> None:
    response = client.get(reverse("tiktok_sandbox:user_info") + "?fields=open_id")

    assert_api_error(response, "access_token_invalid", 401)


def test_unknown_bearer_token_is_an_invalid_access_token(client: Client) -> None:
    assert_api_error(user_info(client, "act.forged", "open_id"), "access_token_invalid", 401)


def test_refresh_token_is_not_accepted_as_bearer_token(
    client: Client, tokens: dict[str, Any]
) -> None:
    response = user_info(client, tokens["refresh_token"], "open_id")

    assert_api_error(response, "access_token_invalid", 401)


@pytest.mark.parametrize("fields", [None, "", " , "])
def test_missing_or_empty_fields_are_invalid_params(
    client: Client, tokens: dict[str, Any], fields: str | None
) -> None:
    assert_api_error(user_info(client, tokens["access_token"], fields), "invalid_params", 400)


def test_unknown_field_is_invalid_params(client: Client, tokens: dict[str, Any]) -> None:
    response = user_info(client, tokens["access_token"], "open_id,email")

    error = assert_api_error(response, "invalid_params", 400)
    assert "email" in error["message"]
