"""exports.tiktok's revoke call at its HTTP seam (tiktok-api.md §1.6, §1.7): what TikTok's
answers mean for the grant being withdrawn."""

from __future__ import annotations

import pytest
import responses

from exports import tiktok
from exports.tiktok.revocation import revoke_grant
from tests.exports.factories import ACCESS_TOKEN, authorize, make_user

API = "https://open.tiktokapis.com"
REVOKE = API + "/v2/oauth/revoke/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def authorization(settings):
    settings.TIKTOK_API_BASE_URL = API
    settings.TIKTOK_AUTH_BASE_URL = "https://www.tiktok.com"
    return authorize(make_user("rev"))


@responses.activate
@pytest.mark.parametrize("body", [b"", b"{}"])
def test_an_empty_answer_or_an_empty_object_is_a_revoked_grant(authorization, body):
    responses.post(REVOKE, body=body, status=200)

    revoke_grant(authorization.pk)

    (call,) = responses.calls
    assert f"token={ACCESS_TOKEN}" in call.request.body


@responses.activate
@pytest.mark.parametrize(
    ("status", "body", "error_class", "code"),
    [
        (
            400,
            {"error": "invalid_request", "log_id": "L"},
            tiktok.PermanentTikTokError,
            "invalid_request",
        ),
        (401, {"error": "invalid_client"}, tiktok.PermanentTikTokError, "invalid_client"),
        (400, {"error": "server_error"}, tiktok.TransientTikTokError, "server_error"),
        (429, {"error": "invalid_request"}, tiktok.TransientTikTokError, "invalid_request"),
        (503, None, tiktok.TransientTikTokError, "invalid_response"),
        # A refusal that names no error is a proxy's or TikTok's hiccup, not an answer.
        (400, None, tiktok.TransientTikTokError, "invalid_response"),
        (
            200,
            {"error": "temporarily_unavailable"},
            tiktok.TransientTikTokError,
            "temporarily_unavailable",
        ),
    ],
)
def test_a_refusal_is_permanent_or_transient_by_its_error_and_status(
    authorization, status, body, error_class, code
):
    if body is None:
        responses.post(REVOKE, body=b"<html>Bad gateway</html>", status=status)
    else:
        responses.post(REVOKE, json=body, status=status)

    with pytest.raises(error_class) as raised:
        revoke_grant(authorization.pk)

    assert raised.value.code == code
    assert raised.value.http_status == status
