"""The sandbox's own pages: the index and the avatars."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from tests.sandbox.conftest import CLIENT_KEY, CLIENT_SECRET, REDIRECT_URI
from tiktok_sandbox.personas import PERSONAS


def test_index_explains_personas_client_key_redirect_uris_and_lifetimes(client: Client) -> None:
    response = client.get(reverse("tiktok_sandbox:index"))

    assert response.status_code == 200
    page = response.content.decode()
    assert CLIENT_KEY in page
    assert REDIRECT_URI in page
    assert "7200 s" in page
    assert "15552000 s" in page
    assert "300 s" in page
    for persona in PERSONAS:
        assert persona.open_id in page
        assert persona.region in page


def test_index_explains_data_exports_timing_and_webhook_url(
    client: Client, settings: Settings
) -> None:
    settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 12.5
    settings.TIKTOK_SANDBOX_WEBHOOK_URL = "https://hooks.example/tiktok/"

    page = client.get(reverse("tiktok_sandbox:index")).content.decode()

    assert "pending</code> for 12.5 s" in page
    assert "https://hooks.example/tiktok/" in page
    assert reverse("tiktok_sandbox:data_download") in page


def test_index_never_shows_the_client_secret(client: Client) -> None:
    page = client.get(reverse("tiktok_sandbox:index")).content.decode()

    assert CLIENT_SECRET not in page


def test_personas_include_one_outside_the_eea_and_uk() -> None:
    assert any(not persona.in_eea_or_uk for persona in PERSONAS)
    assert any(persona.in_eea_or_uk for persona in PERSONAS)


def test_avatar_of_an_unknown_persona_is_not_found(client: Client) -> None:
    response = client.get(reverse("tiktok_sandbox:avatar", args=["nobody"]))

    assert response.status_code == 404


def test_avatar_size_follows_the_query(client: Client) -> None:
    url = reverse("tiktok_sandbox:avatar", args=[PERSONAS[0].open_id])

    assert b'width="100"' in client.get(url + "?size=100").content
