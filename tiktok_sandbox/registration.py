"""The one client app registered with the sandbox, as TikTok's developer portal would hold it.

Every value is read from the settings at call time, never at import, so that tests can change
them with ``override_settings``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.urls import reverse


@dataclass(frozen=True)
class Lifetimes:
    """How long the things the sandbox issues stay valid."""

    code: timedelta
    access_token: timedelta
    refresh_token: timedelta


def client_key() -> str:
    """Return the client key of the registered app."""
    return settings.TIKTOK_SANDBOX_CLIENT_KEY


def app_name() -> str:
    """Return the registered app's name, which the consent page shows as TikTok shows an app's."""
    return settings.TIKTOK_SANDBOX_APP_NAME


def client_secret() -> str:
    """Return the client secret of the registered app; it also keys the webhook signatures."""
    return settings.TIKTOK_SANDBOX_CLIENT_SECRET


def is_known_client_key(key: str) -> bool:
    """Return whether ``key`` is the registered app's client key."""
    return bool(key) and _same(key, client_key())


def is_valid_client(key: str, secret: str) -> bool:
    """Return whether ``key`` and ``secret`` are the registered app's credentials.

    Both comparisons always run, in constant time, so timing reveals neither value.
    """
    key_ok = _same(key, client_key())
    secret_ok = _same(secret, client_secret())
    return bool(key) and bool(secret) and key_ok and secret_ok


def redirect_uris() -> list[str]:
    """Return the exact redirect URIs registered for the app.

    With none configured, the one registered URI is this site's own allauth TikTok callback.
    """
    configured = list(settings.TIKTOK_SANDBOX_REDIRECT_URIS)
    if configured:
        return configured
    return [settings.SITE_URL + reverse("tiktok_callback")]


def is_registered_redirect_uri(uri: str) -> bool:
    """Return whether ``uri`` is exactly (character for character) a registered redirect URI."""
    return uri in redirect_uris()


def lifetimes() -> Lifetimes:
    """Return the configured lifetimes of codes, access tokens and refresh tokens."""
    return Lifetimes(
        code=timedelta(seconds=settings.TIKTOK_SANDBOX_CODE_LIFETIME),
        access_token=timedelta(seconds=settings.TIKTOK_SANDBOX_ACCESS_TOKEN_LIFETIME),
        refresh_token=timedelta(seconds=settings.TIKTOK_SANDBOX_REFRESH_TOKEN_LIFETIME),
    )


def _same(given: str, expected: str) -> bool:
    # compare_digest refuses non-ASCII str, and the given value comes from the request.
    return hmac.compare_digest(given.encode(), expected.encode())
