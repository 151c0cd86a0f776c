"""The OAuth state machine: codes become grants, grants carry rotating token pairs.

Every function takes the plaintext a client holds, looks it up by SHA-256 digest, and raises
``OAuthError`` with TikTok's error code when the request must be refused.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from tiktok_sandbox import pkce, registration, scopes
from tiktok_sandbox.errors import OAuthError, invalid_grant, invalid_request
from tiktok_sandbox.models import AuthorizationCode, Grant, TokenPair

REDIRECT_URI_MISMATCH = "Redirect_uri is not matched with the uri when requesting code."


@dataclass(frozen=True)
class IssuedTokens:
    """A freshly issued token pair, the only moment its plaintext exists on the server."""

    access_token: str
    refresh_token: str
    pair: TokenPair

    def as_response(self) -> dict[str, str | int]:
        """The token endpoint's flat success body: exactly TikTok's seven fields."""
        lifetimes = registration.lifetimes()
        return {
            "access_token": self.access_token,
            "expires_in": int(lifetimes.access_token.total_seconds()),
            "open_id": self.pair.grant.open_id,
            "refresh_token": self.refresh_token,
            "refresh_expires_in": int(lifetimes.refresh_token.total_seconds()),
            "scope": scopes.join_list(self.pair.grant.scopes),
            "token_type": "Bearer",
        }


def digest(value: str) -> str:
    """Return the SHA-256 hex digest under which a code or token is stored."""
    return hashlib.sha256(value.encode()).hexdigest()


def issue_code(
    *,
    open_id: str,
    granted_scopes: list[str],
    redirect_uri: str,
    code_challenge: str = "",
    code_challenge_method: str = "",
) -> str:
    """Record a new authorization code for the registered client and return its plaintext.

    The caller has validated every argument. The code expires after the configured lifetime.
    """
    # TikTok's codes carry characters that must be percent-encoded in the callback URL (hence
    # its docs' "URL-decoded value" advice); these do too, so a client that forgets to decode
    # the code fails here as it would at TikTok.
    code = f"{secrets.token_urlsafe(48)}*0!{secrets.randbelow(10_000):04d}.va"
    now = timezone.now()
    AuthorizationCode.objects.create(
        code_digest=digest(code),
        client_key=registration.client_key(),
        open_id=open_id,
        scopes=granted_scopes,
        redirect_uri=redirect_uri,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        created_at=now,
        expires_at=now + registration.lifetimes().code,
    )
    return code


def exchange_code(
    *, client_key: str, code: str, redirect_uri: str, code_verifier: str
) -> IssuedTokens:
    """Exchange an authorization code for a new grant and its first token pair.

    Raises OAuthError: ``invalid_grant`` for an unknown, expired or already used code, a
    redirect_uri other than the one used at authorize, or a missing or wrong PKCE verifier;
    ``invalid_request`` for a malformed verifier. Not idempotent by design: a code works once,
    and presenting it again also revokes the grant it produced (RFC 6749 §4.1.2).
    """
    now = timezone.now()
    record = AuthorizationCode.objects.filter(
        code_digest=digest(code), client_key=client_key
    ).first()
    if record is None:
        raise invalid_grant("Authorization code is invalid.")
    if record.used_at is not None:
        raise _replayed(record, now)
    if record.is_expired(now):
        raise invalid_grant("Authorization code is expired.")
    if redirect_uri != record.redirect_uri:
        raise invalid_grant(REDIRECT_URI_MISMATCH)
    _check_verifier(record, code_verifier)
    return _redeem(record, now)


def refresh(*, client_key: str, refresh_token: str) -> IssuedTokens:
    """Exchange a refresh token for a new token pair of the same grant.

    The refresh token is always rotated: the returned pair carries a new one and the presented
    one stops working at once. Raises OAuthError ``invalid_grant`` for an unknown, expired,
    already rotated or revoked refresh token.
    """
    now = timezone.now()
    pair = (
        TokenPair.objects.select_related("grant")
        .filter(refresh_digest=digest(refresh_token), grant__client_key=client_key)
        .first()
    )
    pair = _refreshable(pair, now)
    with transaction.atomic():
        # The conditional update is the claim: of two concurrent refreshes, one rotates.
        claimed = TokenPair.objects.refreshable(now).filter(pk=pair.pk).update(rotated_at=now)
        if claimed:
            return _issue_pair(pair.grant, now)
    raise invalid_grant("Refresh token has already been used.")


def revoke_access_token(*, client_key: str, access_token: str) -> Grant | None:
    """Revoke the grant behind ``access_token``: all its access and refresh tokens stop working.

    Returns the grant if this call revoked it; None if the token is unknown, of another client,
    or its grant was revoked already. Idempotent: revoking twice is harmless.
    """
    pair = (
        TokenPair.objects.select_related("grant")
        .filter(access_digest=digest(access_token), grant__client_key=client_key)
        .first()
    )
    if pair is None:
        return None
    revoked = Grant.objects.filter(pk=pair.grant_id).revoke(timezone.now())
    return pair.grant if revoked else None


def find_access_token(access_token: str) -> TokenPair | None:
    """Return the pair whose access token is ``access_token`` if it works now, else None."""
    return (
        TokenPair.objects.live_access(timezone.now())
        .select_related("grant")
        .filter(access_digest=digest(access_token))
        .first()
    )


def _replayed(record: AuthorizationCode, now: datetime) -> OAuthError:
    Grant.objects.filter(code=record).revoke(now)
    return invalid_grant("Authorization code has already been used.")


def _check_verifier(record: AuthorizationCode, code_verifier: str) -> None:
    if not record.code_challenge:
        # No PKCE at authorize: like TikTok's web flow, ignore any verifier sent now.
        return
    if not code_verifier:
        raise invalid_grant("Code verifier is missed in request.")
    if not pkce.is_well_formed(code_verifier):
        raise invalid_request("Code verifier must be 43-128 characters of [A-Za-z0-9-._~].")
    if not pkce.verifier_matches(code_verifier, record.code_challenge):
        raise invalid_grant("Code verifier does not match the code challenge.")


def _redeem(record: AuthorizationCode, now: datetime) -> IssuedTokens:
    with transaction.atomic():
        # Claim the code with a conditional update; the loser of a race is a replay.
        claimed = AuthorizationCode.objects.filter(pk=record.pk, used_at__isnull=True).update(
            used_at=now
        )
        if claimed:
            grant = Grant.objects.create(
                client_key=record.client_key,
                open_id=record.open_id,
                scopes=record.scopes,
                code=record,
                created_at=now,
            )
            return _issue_pair(grant, now)
    raise _replayed(record, now)


def _refreshable(pair: TokenPair | None, now: datetime) -> TokenPair:
    if pair is None:
        raise invalid_grant("Refresh token is invalid.")
    if pair.grant.revoked_at is not None:
        raise invalid_grant("Refresh token has been revoked.")
    if pair.rotated_at is not None:
        raise invalid_grant("Refresh token has already been used.")
    if now >= pair.refresh_expires_at:
        raise invalid_grant("Refresh token is expired.")
    return pair


def _issue_pair(grant: Grant, now: datetime) -> IssuedTokens:
    lifetimes = registration.lifetimes()
    access_token = f"act.{secrets.token_urlsafe(48)}"
    refresh_token = f"rft.{secrets.token_urlsafe(48)}"
    pair = TokenPair.objects.create(
        grant=grant,
        access_digest=digest(access_token),
        refresh_digest=digest(refresh_token),
        created_at=now,
        access_expires_at=now + lifetimes.access_token,
        refresh_expires_at=now + lifetimes.refresh_token,
    )
    return IssuedTokens(access_token=access_token, refresh_token=refresh_token, pair=pair)
