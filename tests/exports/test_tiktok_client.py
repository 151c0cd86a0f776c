"""exports.tiktok at its HTTP seam, with TikTok's documented payloads (tiktok-api.md §1)."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
import responses
from django.utils import timezone

from exports import tiktok

API = "https://open.tiktokapis.com"
USER_INFO = API + "/v2/user/info/"


@pytest.fixture(autouse=True)
def real_tiktok_urls(settings):
    settings.TIKTOK_API_BASE_URL = API
    settings.TIKTOK_AUTH_BASE_URL = "https://www.tiktok.com"


def envelope(code: str, message: str = "", data: dict | None = None) -> dict:
    return {"data": data or {}, "error": {"code": code, "message": message, "log_id": "2024LOG"}}


@responses.activate
def test_user_info_returns_the_profile_and_sends_the_bearer_token():
    responses.get(
        USER_INFO,
        json=envelope(
            "ok",
            data={
                "user": {
                    "open_id": "afd97af1",
                    "union_id": "u-1",
                    "display_name": "Ana",
                    "avatar_url": "https://p16.example/a.jpeg",
                }
            },
        ),
    )

    profile = tiktok.fetch_user_info("act.example")

    assert profile == tiktok.TikTokProfile("afd97af1", "Ana", "https://p16.example/a.jpeg", "u-1")
    sent = responses.calls[0].request
    assert sent.headers["Authorization"] == "Bearer act.example"
    assert "fields=open_id%2Cunion_id%2Cavatar_url%2Cdisplay_name" in sent.url


@pytest.mark.parametrize(
    ("status", "code", "error_class"),
    [
        (401, "access_token_invalid", tiktok.AccessTokenInvalidError),
        (401, "scope_not_authorized", tiktok.PermanentTikTokError),
        (400, "scope_permission_missed", tiktok.PermanentTikTokError),
        (400, "invalid_params", tiktok.PermanentTikTokError),
        (429, "rate_limit_exceeded", tiktok.TransientTikTokError),
        (500, "internal_error", tiktok.TransientTikTokError),
    ],
)
@responses.activate
def test_error_envelopes_become_typed_errors(status, code, error_class):
    responses.get(USER_INFO, status=status, json=envelope(code, "explained"))

    with pytest.raises(error_class) as raised:
        tiktok.fetch_user_info("act.example")

    assert raised.value.code == code
    assert raised.value.log_id == "2024LOG"
    assert raised.value.http_status == status


@responses.activate
def test_rate_limit_carries_retry_after():
    responses.get(
        USER_INFO,
        status=429,
        json=envelope("rate_limit_exceeded"),
        headers={"Retry-After": "7"},
    )

    with pytest.raises(tiktok.TransientTikTokError) as raised:
        tiktok.fetch_user_info("act.example")

    assert raised.value.retry_after == 7.0


@responses.activate
def test_a_gateway_page_instead_of_json_is_transient():
    responses.get(USER_INFO, status=502, body="<html>Bad gateway</html>")

    with pytest.raises(tiktok.TransientTikTokError):
        tiktok.fetch_user_info("act.example")


@responses.activate
def test_network_failure_is_transient_and_names_no_token():
    responses.get(USER_INFO, body=requests.ConnectionError("reset by peer act.example"))

    with pytest.raises(tiktok.TransientTikTokError) as raised:
        tiktok.fetch_user_info("act.example")

    assert raised.value.code == "network_error"
    assert "act.example" not in str(raised.value)


@responses.activate
def test_user_info_without_open_id_is_refused():
    responses.get(USER_INFO, json=envelope("ok", data={"user": {"display_name": "x"}}))

    with pytest.raises(tiktok.PermanentTikTokError):
        tiktok.fetch_user_info("act.example")


def test_token_response_expiry_comes_from_the_response():
    before = timezone.now()

    grant = tiktok.parse_token_response(
        {
            "access_token": "act.example",
            "expires_in": 86400,
            "open_id": "afd97af1",
            "refresh_expires_in": 31536000,
            "refresh_token": "rft.example",
            "scope": "user.info.basic,portability.all.single",
            "token_type": "Bearer",
        }
    )

    assert grant.scopes == ("portability.all.single", "user.info.basic")
    assert before + dt.timedelta(days=1) <= grant.access_token_expires_at
    assert grant.access_token_expires_at <= timezone.now() + dt.timedelta(days=1)
    assert grant.refresh_token_expires_at - grant.access_token_expires_at == dt.timedelta(days=364)
    assert "act.example" not in repr(grant)
    assert "rft.example" not in repr(grant)


def test_token_response_without_a_field_is_refused():
    with pytest.raises(tiktok.PermanentTikTokError):
        tiktok.parse_token_response({"access_token": "act.example", "open_id": "x"})


def test_every_url_derives_from_the_two_base_urls(settings):
    settings.TIKTOK_AUTH_BASE_URL = "http://emulator.test:9000/auth"
    settings.TIKTOK_API_BASE_URL = "http://emulator.test:9001"

    assert tiktok.authorize_url() == "http://emulator.test:9000/auth/v2/auth/authorize/"
    assert tiktok.token_url() == "http://emulator.test:9001/v2/oauth/token/"
    assert tiktok.user_info_url() == "http://emulator.test:9001/v2/user/info/"
