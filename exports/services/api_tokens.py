"""Personal API tokens: a person makes one for a service or script they choose, which then uses
the task API (exports/api.py) on their behalf, until it expires or they revoke it."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from exports.models import ApiToken, api_tokens_for

# Recognisable in logs and by secret scanners; the rest is 256 random bits.
TOKEN_PREFIX = "tte_"  # noqa: S105 - a public marker, not a secret
# last_used_at is written at most this often: not on every call of a busy script.
LAST_USED_PRECISION = dt.timedelta(minutes=1)
MAX_TOKENS_PER_PERSON = 20


class TooManyTokensError(Exception):
    """The person already has MAX_TOKENS_PER_PERSON tokens."""


def digest_of(token: str) -> str:
    """The token as stored: its SHA-256. The token is random, so no salt or slow hash is
    needed for it to be unguessable from the digest."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(
    user: AbstractBaseUser, name: str, valid_for: dt.timedelta | None
) -> tuple[ApiToken, str]:
    """Makes a token named `name`, valid for `valid_for` (None: until revoked). Returns the row
    and the token itself, which exists nowhere else afterwards: show it once.

    Raises TooManyTokensError.
    """
    if api_tokens_for(user).count() >= MAX_TOKENS_PER_PERSON:
        raise TooManyTokensError
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user,
        name=name.strip()[:64],
        prefix=token[: len(TOKEN_PREFIX) + 6],
        digest=digest_of(token),
        expires_at=timezone.now() + valid_for if valid_for else None,
    )
    return row, token


def revoke_api_token(user: AbstractBaseUser, token_id: int) -> None:
    """Deletes one of the person's tokens. Raises ApiToken.DoesNotExist for any other."""
    api_tokens_for(user).get(pk=token_id).delete()


def authenticate_api_token(token: str) -> ApiToken | None:
    """The usable token `token` is, with its user, or None. Records when it was last used."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        return None
    now = timezone.now()
    row = (
        ApiToken.objects.usable(now).select_related("user").filter(digest=digest_of(token)).first()
    )
    if row is None or not row.user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_PRECISION:
        row.last_used_at = now
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row
