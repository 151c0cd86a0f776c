"""System checks: configuration mistakes stop the site at start with a message that says what to
set, instead of failing later in front of a user."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Warning, register  # noqa: A004

from exports.crypto import key_problem

REAL_TIKTOK_HOSTS = ("tiktok.com", "tiktokapis.com")


@register()
def check_tiktok_settings(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list:
    return [
        *_check_credentials(),
        *_check_base_url("TIKTOK_AUTH_BASE_URL", "exports.E002"),
        *_check_base_url("TIKTOK_API_BASE_URL", "exports.E003"),
        *_check_sandbox(),
        *_check_site_url(),
    ]


@register()
def check_secrets(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list:
    errors = []
    keys = settings.TOKEN_ENCRYPTION_KEYS
    if not keys:
        errors.append(
            Error(
                "TOKEN_ENCRYPTION_KEYS is not set: TikTok tokens cannot be stored.",
                hint="Set TOKEN_ENCRYPTION_KEYS to a Fernet key, e.g. the output of "
                "python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'.",
                id="exports.E006",
            )
        )
    for position, key in enumerate(keys, start=1):
        if problem := key_problem(key):
            errors.append(
                Error(
                    f"TOKEN_ENCRYPTION_KEYS entry {position} is not a valid key: {problem}.",
                    hint="Generate one with Fernet.generate_key().",
                    id="exports.E007",
                )
            )
    if keys and settings.SECRET_KEY in keys:
        errors.append(
            Error(
                "TOKEN_ENCRYPTION_KEYS reuses SECRET_KEY.",
                hint="Use separate secrets so that each can be rotated alone.",
                id="exports.E009",
            )
        )
    return errors


def _check_credentials() -> list:
    if settings.TIKTOK_CLIENT_KEY and settings.TIKTOK_CLIENT_SECRET:
        return []
    return [
        Error(
            "TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET must both be set when the sandbox is off.",
            hint="Copy them from your app in TikTok's developer portal, or unset TIKTOK_SANDBOX "
            "and both credentials to run against the built-in sandbox.",
            id="exports.E001",
        )
    ]


def _check_base_url(name: str, check_id: str) -> list:
    value = getattr(settings, name)
    if not value:
        if settings.TIKTOK_SANDBOX:
            return []  # the sandbox on this site
        return [
            Error(f"{name} is empty.", hint=f"Set {name} or turn TIKTOK_SANDBOX on.", id=check_id)
        ]
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        return [
            Error(
                f"{name} must be an absolute http(s) URL without query or fragment: {value!r}.",
                hint=f"For real TikTok leave {name} unset; for an emulator use e.g. "
                "http://127.0.0.1:9000.",
                id=check_id,
            )
        ]
    if parts.scheme == "http" and _is_real_tiktok(parts.hostname or ""):
        return [Error(f"{name} must use https for TikTok.", id=check_id)]
    return []


def _check_sandbox() -> list:
    if not settings.TIKTOK_SANDBOX:
        return []
    problems = []
    urls = (settings.TIKTOK_AUTH_BASE_URL, settings.TIKTOK_API_BASE_URL)
    if any(_is_real_tiktok(urlsplit(url).hostname or "") for url in urls if url):
        problems.append(
            Error(
                "TIKTOK_SANDBOX is on while the TikTok base URLs point at real TikTok.",
                hint="Unset TIKTOK_SANDBOX when you configure real TikTok credentials.",
                id="exports.E004",
            )
        )
    uses_own_sandbox = not settings.TIKTOK_AUTH_BASE_URL or not settings.TIKTOK_API_BASE_URL
    if uses_own_sandbox and settings.TIKTOK_CLIENT_KEY != settings.TIKTOK_SANDBOX_CLIENT_KEY:
        problems.append(
            Error(
                "TIKTOK_SANDBOX is on with a TIKTOK_CLIENT_KEY the sandbox does not know: "
                "every sign-in would fail.",
                hint="Unset TIKTOK_SANDBOX to use real TikTok with these credentials, or unset "
                "TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET to use the sandbox.",
                id="exports.E010",
            )
        )
    if not settings.DEBUG:
        problems.append(
            Warning(
                "The built-in TikTok sandbox is on: anyone can sign in as one of its made-up "
                "personas, and people who pick the same persona share one account here.",
                hint="Fine for a demo or tests. For real use set TIKTOK_CLIENT_KEY and "
                "TIKTOK_CLIENT_SECRET, which turns the sandbox off.",
                id="exports.W002",
            )
        )
    return problems


def _check_site_url() -> list:
    parts = urlsplit(settings.SITE_URL)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"}:
        return [
            Error(
                f"SITE_URL must be the site's origin, like https://export.example.org: "
                f"{settings.SITE_URL!r}.",
                id="exports.E005",
            )
        ]
    if parts.scheme != "https" and not settings.TIKTOK_SANDBOX:
        return [
            Warning(
                "SITE_URL is not https: TikTok accepts only https redirect URIs.",
                hint="Set SITE_URL to the public https address of the site.",
                id="exports.W001",
            )
        ]
    return []


def _is_real_tiktok(host: str) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in REAL_TIKTOK_HOSTS)
