"""POST /v2/oauth/revoke/."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.sandbox.conftest import assert_oauth_error, refresh, revoke, user_info


def test_revoke_answers_an_empty_object(client: Client, tokens: dict[str, Any]) -> None:
    response = revoke(client, tokens["access_token"])

    assert response.status_code == 200
    assert response.json() == {}


def test_revoked_access_and_refresh_tokens_stop_working(
    client: Client, tokens: dict[str, Any]
) -> None:
    revoke(client, tokens["access_token"])

    assert user_info(client, tokens["access_token"], "open_id").status_code == 401
    assert_oauth_error(refresh(client, tokens["refresh_token"]), "invalid_grant")


def test_revoke_also_kills_tokens_issued_by_earlier_refreshes(
    client: Client, tokens: dict[str, Any]
) -> None:
    rotated = refresh(client, tokens["refresh_token"]).json()

    revoke(client, rotated["access_token"])

    assert user_info(client, tokens["access_token"], "open_id").status_code == 401
    assert user_info(client, rotated["access_token"], "open_id").status_code == 401


def test_unknown_token_is_answered_like_a_revoked_one(client: Client) -> None:
    response = revoke(client, "act.not-a-token")

    assert response.status_code == 200
    assert response.json() == {}


def test_revoke_with_a_wrong_client_secret_is_refused_and_revokes_nothing(
    client: Client, tokens: dict[str, Any]
) -> None:
    response = revoke(client, tokens["access_token"], client_secret="wrong")

    assert_oauth_error(response, "invalid_client", 401)
    assert user_info(client, tokens["access_token"], "open_id").status_code == 200


def test_revoke_without_token_is_an_invalid_request(client: Client) -> None:
    assert_oauth_error(revoke(client, ""), "invalid_request")
