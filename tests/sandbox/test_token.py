"""POST /v2/oauth/token/: the authorization_code and refresh_token grants."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from tests.sandbox.conftest import (
    CLIENT_KEY,
    CLIENT_SECRET,
    FORM,
    PERSONA,
    REDIRECT_URI,
    Authorized,
    assert_oauth_error,
    exchange,
    post_form,
    refresh,
    run_consent,
    user_info,
)


def test_code_exchange_returns_exactly_tiktoks_seven_fields(
    client: Client, authorized: Authorized
) -> None:
    response = exchange(client, authorized)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "access_token",
        "expires_in",
        "open_id",
        "refresh_token",
        "refresh_expires_in",
        "scope",
        "token_type",
    }
    assert body["access_token"].startswith("act.")
    assert body["refresh_token"].startswith("rft.")
    assert body["expires_in"] == 7200
    assert body["refresh_expires_in"] == 15552000
    assert body["open_id"] == PERSONA.open_id
    assert body["scope"] == "user.info.basic,user.info.profile,user.info.stats"
    assert body["token_type"] == "Bearer"
    assert response["Cache-Control"] == "no-store"


def test_issued_access_token_works_for_user_info(client: Client, tokens: dict[str, Any]) -> None:
    response = user_info(client, tokens["access_token"], "open_id")

    assert response.status_code == 200
    assert response.json()["data"]["user"] == {"open_id": PERSONA.open_id}


def test_token_lifetimes_follow_the_settings(
    client: Client, authorized: Authorized, settings: Settings
) -> None:
    settings.TIKTOK_SANDBOX_ACCESS_TOKEN_LIFETIME = 86400
    settings.TIKTOK_SANDBOX_REFRESH_TOKEN_LIFETIME = 31536000

    body = exchange(client, authorized).json()

    assert (body["expires_in"], body["refresh_expires_in"]) == (86400, 31536000)


@pytest.mark.parametrize("encoding", ["base64url", "hex"])
def test_pkce_verifier_is_accepted_for_either_challenge_encoding(
    client: Client, encoding: str
) -> None:
    authorized = run_consent(client, encoding=encoding)

    assert exchange(client, authorized).status_code == 200


def test_wrong_pkce_verifier_is_refused(client: Client, authorized: Authorized) -> None:
    response = exchange(client, authorized, code_verifier="x" * 43)

    assert_oauth_error(response, "invalid_grant")


def test_missing_pkce_verifier_is_refused_when_a_challenge_was_sent(
    client: Client, authorized: Authorized
) -> None:
    response = exchange(client, authorized, code_verifier=None)

    assert_oauth_error(response, "invalid_grant")


@pytest.mark.parametrize("verifier", ["short", "x" * 129, "has spaces" * 5])
def test_malformed_pkce_verifier_is_an_invalid_request(
    client: Client, authorized: Authorized, verifier: str
) -> None:
    assert_oauth_error(exchange(client, authorized, code_verifier=verifier), "invalid_request")


def test_code_without_pkce_is_exchanged_without_verifier(client: Client) -> None:
    authorized = run_consent(client, encoding=None)

    assert exchange(client, authorized).status_code == 200


def test_redirect_uri_other_than_the_authorize_one_is_refused(
    client: Client, authorized: Authorized, settings: Settings
) -> None:
    other = "https://app.example/other/callback/"
    settings.TIKTOK_SANDBOX_REDIRECT_URIS = [*settings.TIKTOK_SANDBOX_REDIRECT_URIS, other]

    body = assert_oauth_error(exchange(client, authorized, redirect_uri=other), "invalid_grant")

    assert body["error_description"] == (
        "Redirect_uri is not matched with the uri when requesting code."
    )


def test_expired_code_is_refused(client: Client, settings: Settings) -> None:
    settings.TIKTOK_SANDBOX_CODE_LIFETIME = 0
    authorized = run_consent(client)

    assert_oauth_error(exchange(client, authorized), "invalid_grant")


def test_unknown_code_is_refused(client: Client, authorized: Authorized) -> None:
    assert_oauth_error(exchange(client, authorized, code="not-a-code"), "invalid_grant")


@pytest.mark.parametrize(
    "credentials",
    [
        {"client_secret": "wrong"},
        {"client_secret": None},
        {"client_key": "other-key"},
        {"client_key": None},
    ],
)
def test_wrong_or_missing_client_credentials_are_refused_with_401(
    client: Client, authorized: Authorized, credentials: dict[str, str | None]
) -> None:
    assert_oauth_error(exchange(client, authorized, **credentials), "invalid_client", 401)


def test_replayed_code_is_refused_and_revokes_its_tokens(
    client: Client, authorized: Authorized
) -> None:
    first = exchange(client, authorized).json()

    assert_oauth_error(exchange(client, authorized), "invalid_grant")

    assert user_info(client, first["access_token"], "open_id").status_code == 401
    assert_oauth_error(refresh(client, first["refresh_token"]), "invalid_grant")


@pytest.mark.parametrize("missing", ["code", "redirect_uri", "grant_type"])
def test_missing_parameter_is_an_invalid_request(
    client: Client, authorized: Authorized, missing: str
) -> None:
    assert_oauth_error(exchange(client, authorized, **{missing: None}), "invalid_request")


def test_other_grant_types_are_unsupported(client: Client, authorized: Authorized) -> None:
    response = exchange(client, authorized, grant_type="client_credentials")

    assert_oauth_error(response, "unsupported_grant_type")


def test_json_body_is_refused_because_tiktok_takes_a_form(client: Client) -> None:
    data = {"client_key": CLIENT_KEY, "client_secret": CLIENT_SECRET}
    response = client.post(reverse("tiktok_sandbox:token"), data, content_type="application/json")

    assert_oauth_error(response, "invalid_request")


def test_get_is_not_allowed_on_the_token_endpoint(client: Client) -> None:
    assert client.get(reverse("tiktok_sandbox:token")).status_code == 405


def test_refresh_rotates_and_the_old_refresh_token_is_refused(
    client: Client, tokens: dict[str, Any]
) -> None:
    response = refresh(client, tokens["refresh_token"])

    assert response.status_code == 200
    rotated = response.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert rotated["access_token"] != tokens["access_token"]
    assert rotated["scope"] == tokens["scope"]
    assert user_info(client, rotated["access_token"], "open_id").status_code == 200
    assert_oauth_error(refresh(client, tokens["refresh_token"]), "invalid_grant")
    assert refresh(client, rotated["refresh_token"]).status_code == 200


def test_expired_refresh_token_is_refused(client: Client, settings: Settings) -> None:
    settings.TIKTOK_SANDBOX_REFRESH_TOKEN_LIFETIME = 0
    tokens = exchange(client, run_consent(client)).json()

    assert_oauth_error(refresh(client, tokens["refresh_token"]), "invalid_grant")


def test_expired_access_token_is_refused_by_user_info(client: Client, settings: Settings) -> None:
    settings.TIKTOK_SANDBOX_ACCESS_TOKEN_LIFETIME = 0
    tokens = exchange(client, run_consent(client)).json()

    assert user_info(client, tokens["access_token"], "open_id").status_code == 401


def test_refresh_needs_the_client_secret(client: Client, tokens: dict[str, Any]) -> None:
    response = refresh(client, tokens["refresh_token"], client_secret="wrong")

    assert_oauth_error(response, "invalid_client", 401)


def test_refresh_without_refresh_token_is_an_invalid_request(client: Client) -> None:
    data = {"client_key": CLIENT_KEY, "client_secret": CLIENT_SECRET, "grant_type": "refresh_token"}

    assert_oauth_error(post_form(client, "token", data), "invalid_request")


def test_form_content_type_with_charset_is_accepted(client: Client, authorized: Authorized) -> None:
    data = {
        "client_key": CLIENT_KEY,
        "client_secret": CLIENT_SECRET,
        "grant_type": "authorization_code",
        "code": authorized.code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": authorized.verifier,
    }
    response = client.post(
        reverse("tiktok_sandbox:token"), urlencode(data), content_type=f"{FORM}; charset=utf-8"
    )

    assert response.status_code == 200
