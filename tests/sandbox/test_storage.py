"""Codes and tokens are stored only as digests."""

from __future__ import annotations

from django.apps import apps
from django.test import Client

from tests.sandbox.conftest import Authorized, exchange, refresh
from tiktok_sandbox.grants import digest


def _every_sandbox_value() -> str:
    rows = [
        str(row)
        for model in apps.get_app_config("tiktok_sandbox").get_models()
        for row in model.objects.values()
    ]
    return "\n".join(rows)


def test_codes_and_tokens_never_appear_in_plaintext_in_sandbox_tables(
    client: Client, authorized: Authorized
) -> None:
    first = exchange(client, authorized).json()
    second = refresh(client, first["refresh_token"]).json()
    secrets = [
        authorized.code,
        first["access_token"],
        first["refresh_token"],
        second["access_token"],
        second["refresh_token"],
    ]

    stored = _every_sandbox_value()

    assert stored
    for secret in secrets:
        assert secret not in stored
        # Nor a 20-character piece of its random body (after a prefix like "act.").
        assert max(secret.split("."), key=len)[:20] not in stored
    assert digest(first["access_token"]) in stored
