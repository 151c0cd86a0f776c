"""Login Kit: the code exchange, token refresh (one at a time per person) and user info."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from exports.models import TikTokAuthorization
from exports.tiktok.errors import (
    AccessTokenInvalidError,
    PermanentTikTokError,
    TransientTikTokError,
)
from exports.tiktok.http import (
    call_v2,
    error_for_status,
    oauth_error,
    post_oauth_form,
    redirect_uri,
    token_url,
    user_info_url,
)

USER_INFO_FIELDS = ("open_id", "union_id", "avatar_url", "display_name")
# An access token this close to its expiry is refreshed before use.
EXPIRY_MARGIN = dt.timedelta(seconds=60)


def refresh_claim() -> dt.timedelta:
    """How long one process holds the claim on refreshing a person's tokens: longer than the
    slowest answer TikTok's token endpoint can give within the timeouts, twice over, so that a
    claim never lapses while its refresh is still on the wire."""
    return dt.timedelta(
        seconds=2 * (settings.TIKTOK_CONNECT_TIMEOUT + settings.TIKTOK_READ_TIMEOUT) + 10
    )


@dataclass(frozen=True)
class TokenGrant:
    """What TikTok's token endpoint returned, with expiry as absolute times."""

    open_id: str
    access_token: str
    access_token_expires_at: dt.datetime
    refresh_token: str
    refresh_token_expires_at: dt.datetime
    scopes: tuple[str, ...]

    def __repr__(self) -> str:  # keeps the token strings out of logs and tracebacks
        return f"TokenGrant(open_id={self.open_id!r}, scopes={self.scopes!r})"


@dataclass(frozen=True)
class TikTokProfile:
    open_id: str
    display_name: str
    avatar_url: str
    union_id: str = ""


def parse_scopes(value: str | None) -> tuple[str, ...]:
    """TikTok lists scopes comma-separated; order and duplicates carry no meaning."""
    return tuple(sorted({scope.strip() for scope in (value or "").split(",") if scope.strip()}))


def parse_token_response(data: dict[str, Any]) -> TokenGrant:
    """Turns the flat JSON of /v2/oauth/token/ into a TokenGrant.

    Expiry comes from `expires_in`/`refresh_expires_in` (TikTok's lifetimes have changed over
    time and must never be assumed). Raises PermanentTikTokError when a field is missing.
    """
    try:
        now = timezone.now()
        return TokenGrant(
            open_id=str(data["open_id"]),
            access_token=str(data["access_token"]),
            access_token_expires_at=now + dt.timedelta(seconds=int(data["expires_in"])),
            refresh_token=str(data["refresh_token"]),
            refresh_token_expires_at=now + dt.timedelta(seconds=int(data["refresh_expires_in"])),
            scopes=parse_scopes(data["scope"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise PermanentTikTokError(
            "invalid_token_response", f"TikTok's token response lacks a field ({error})."
        ) from None


def fetch_user_info(access_token: str) -> TikTokProfile:
    """GET /v2/user/info/ for the fields user.info.basic allows.

    Returns the profile. Raises AccessTokenInvalidError, TransientTikTokError or
    PermanentTikTokError.
    """
    data = call_v2(
        "GET",
        user_info_url(),
        access_token,
        params={"fields": ",".join(USER_INFO_FIELDS)},
    )
    user = data.get("user") if isinstance(data, dict) else None
    if not isinstance(user, dict) or not user.get("open_id"):
        raise PermanentTikTokError("invalid_response", "TikTok's user info carries no open_id.")
    return TikTokProfile(
        open_id=str(user["open_id"]),
        display_name=str(user.get("display_name") or ""),
        avatar_url=str(user.get("avatar_url") or ""),
        union_id=str(user.get("union_id") or ""),
    )


def grant_is_alive(authorization_id: int) -> bool:
    """Whether TikTok still honours the grant's access token: it answers the user info with
    it. False once TikTok revoked it (the person removed the app); a grant whose token merely
    expired counts as alive if its refresh works. Raises TransientTikTokError when TikTok
    cannot tell now."""
    try:
        fetch_user_info(current_access_token(authorization_id))
    except AccessTokenInvalidError:
        return False
    except PermanentTikTokError as error:
        if error.code == "refresh_token_invalid":
            return False
        raise
    return True


def current_access_token(authorization_id: int) -> str:
    """The person's access token, refreshed first if it is about to expire."""
    authorization = TikTokAuthorization.objects.get(pk=authorization_id)
    token = authorization.access_token
    if authorization.access_token_expires_at <= timezone.now() + EXPIRY_MARGIN:
        return refresh_access_token(authorization_id, stale_access_token=token)
    return token


def refresh_access_token(authorization_id: int, *, stale_access_token: str) -> str:
    """Replaces `stale_access_token` with a fresh one through the refresh-token grant.

    TikTok rotates the refresh token on every use, so of any number of concurrent callers only
    one refreshes, under a claim on the authorization's row; the others wait for its result.
    Returns the new access token. Raises PermanentTikTokError when TikTok refuses the refresh
    token (the person must sign in again) and TransientTikTokError when it cannot be reached.
    """
    deadline = time.monotonic() + refresh_claim().total_seconds()
    while (claim := _claim_refresh(authorization_id)) is None:
        if fresh := _refreshed_since(authorization_id, stale_access_token):
            return fresh
        if time.monotonic() > deadline:
            raise TransientTikTokError("refresh_busy", "Another refresh did not finish.")
        time.sleep(0.1)
    try:
        if fresh := _refreshed_since(authorization_id, stale_access_token):
            return fresh
        authorization = TikTokAuthorization.objects.get(pk=authorization_id)
        try:
            grant = _refresh_grant(authorization.refresh_token)
        except PermanentTikTokError:
            # Dead for good: callers waiting on this refresh must not try it again.
            TikTokAuthorization.objects.filter(
                pk=authorization_id, refresh_claimed_until=claim
            ).update(refresh_token_expires_at=timezone.now())
            raise
        _store_refreshed(authorization, grant, claim)
        return grant.access_token
    finally:
        TikTokAuthorization.objects.filter(pk=authorization_id, refresh_claimed_until=claim).update(
            refresh_claimed_until=None
        )


def _store_refreshed(
    authorization: TikTokAuthorization, grant: TokenGrant, claim: dt.datetime
) -> None:
    """Saves the rotated tokens, unless a sign-in replaced the grant meanwhile (it clears the
    claim): its tokens are newer than ours."""
    authorization.set_tokens(grant.access_token, grant.refresh_token)
    TikTokAuthorization.objects.filter(pk=authorization.pk, refresh_claimed_until=claim).update(
        access_token_ciphertext=authorization.access_token_ciphertext,
        refresh_token_ciphertext=authorization.refresh_token_ciphertext,
        access_token_expires_at=grant.access_token_expires_at,
        refresh_token_expires_at=grant.refresh_token_expires_at,
        granted_scopes=list(grant.scopes) or authorization.granted_scopes,
        updated_at=timezone.now(),
    )


def _claim_refresh(authorization_id: int) -> dt.datetime | None:
    """Claims the right to refresh; returns the claim (its expiry) or None if another holds it."""
    now = timezone.now()
    claim = now + refresh_claim()
    claimed = (
        TikTokAuthorization.objects.filter(pk=authorization_id)
        .filter(Q(refresh_claimed_until__isnull=True) | Q(refresh_claimed_until__lt=now))
        .update(refresh_claimed_until=claim)
    )
    return claim if claimed else None


def _refreshed_since(authorization_id: int, stale_access_token: str) -> str | None:
    """The access token another caller obtained since `stale_access_token`, if any. Raises
    PermanentTikTokError once the refresh token is known to be dead."""
    authorization = TikTokAuthorization.objects.get(pk=authorization_id)
    now = timezone.now()
    if authorization.refresh_token_expires_at <= now:
        raise PermanentTikTokError("refresh_token_invalid", "TikTok's sign-in has expired.")
    token = authorization.access_token
    fresh = authorization.access_token_expires_at > now + EXPIRY_MARGIN
    return token if token != stale_access_token and fresh else None


@sensitive_variables("code", "code_verifier", "form")
def exchange_code(code: str, *, code_verifier: str | None) -> TokenGrant:
    """The authorization-code grant: POST /v2/oauth/token/ (form-encoded, flat answer), with
    the redirect_uri of the authorize call and the PKCE verifier.

    Returns the grant. Raises PermanentTikTokError (code refused, expired or used) or
    TransientTikTokError (TikTok down, rate limiting, network).
    """
    form = {
        "client_key": settings.TIKTOK_CLIENT_KEY,
        "client_secret": settings.TIKTOK_CLIENT_SECRET,
        "code": code,
        "grant_type": "authorization_code",
        "redirect_uri": redirect_uri(),
    }
    if code_verifier:
        form["code_verifier"] = code_verifier
    return _token_request(form)


@sensitive_variables("refresh_token", "form")
def _refresh_grant(refresh_token: str) -> TokenGrant:
    """The refresh-token grant; TikTok answers with a new refresh token every time."""
    form = {
        "client_key": settings.TIKTOK_CLIENT_KEY,
        "client_secret": settings.TIKTOK_CLIENT_SECRET,
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
    }
    try:
        return _token_request(form)
    except PermanentTikTokError as error:
        if error.code != "invalid_grant":
            raise  # invalid_client and the like: the site's configuration, not the person's
        raise PermanentTikTokError(
            "refresh_token_invalid", error.message or "TikTok refused to renew the sign-in."
        ) from None


@sensitive_variables("form")
def _token_request(form: dict[str, str]) -> TokenGrant:
    response, body = post_oauth_form(token_url(), form)
    if body is None:
        raise error_for_status(response, "invalid_response", "TikTok's answer was not JSON.")
    if response.ok and "access_token" in body:
        return parse_token_response(body)
    raise oauth_error(response, body, "token")
