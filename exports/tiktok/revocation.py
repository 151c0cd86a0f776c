"""Login Kit's revoke: withdrawing a person's grant at TikTok (tiktok-api.md §1.6)."""

from __future__ import annotations

from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from exports.tiktok.http import api_base_url, oauth_error, post_oauth_form
from exports.tiktok.oauth import current_access_token


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
    response, body = post_oauth_form(revoke_url(), form)
    body = body or {}  # success is an empty body (tiktok-api.md §1.6)
    if response.ok and not body.get("error"):
        return
    # A failure that names no error is a proxy's or TikTok's hiccup: try again later.
    raise oauth_error(response, body, "revoke", unexplained_is_transient=True)
