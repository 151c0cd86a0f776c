"""Login Kit's revoke: withdrawing a person's grant at TikTok (tiktok-api.md §1.6)."""

from __future__ import annotations

import logging

import requests
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from exports.tiktok.errors import PermanentTikTokError, TransientTikTokError
from exports.tiktok.http import _session, api_base_url, network_error, retry_after, timeouts
from exports.tiktok.oauth import current_access_token

logger = logging.getLogger("exports.tiktok")


def revoke_url() -> str:
    return api_base_url() + "/v2/oauth/revoke/"


def revoke_grant(authorization_id: int) -> None:
    """Revokes the grant behind the authorization at TikTok: every token issued with it stops
    working, and the site leaves the person's list of connected apps.

    The access token is refreshed first if it has expired, since TikTok revokes by access token.
    Revoking a grant TikTok no longer knows succeeds (the aim is met). Raises
    TransientTikTokError (try again later) or PermanentTikTokError (the grant cannot be reached
    any more: its refresh token is dead, so it is as good as revoked).
    """
    _revoke(current_access_token(authorization_id))


@sensitive_variables("access_token", "form")
def _revoke(access_token: str) -> None:
    form = {
        "client_key": settings.TIKTOK_CLIENT_KEY,
        "client_secret": settings.TIKTOK_CLIENT_SECRET,
        "token": access_token,
    }
    try:
        response = _session.post(revoke_url(), data=form, timeout=timeouts())
    except requests.RequestException as error:
        raise network_error(error) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    error = str(body.get("error") or "")
    if response.ok and not error:
        return
    logger.warning(
        "TikTok's revoke endpoint answered %s with %s (log_id %s)",
        response.status_code,
        error or "no JSON",
        body.get("log_id"),
    )
    description = str(body.get("error_description") or "")
    transient = error in {"server_error", "temporarily_unavailable", ""}
    if transient or response.status_code == 429 or response.status_code >= 500:
        raise TransientTikTokError(
            error or "invalid_response",
            description,
            http_status=response.status_code,
            retry_after=retry_after(response),
        )
    raise PermanentTikTokError(error, description, http_status=response.status_code)
