"""TIKTOK_AUTH_BASE_URL and TIKTOK_API_BASE_URL are the only switch between TikTok, the built-in
sandbox and any other emulator."""

from __future__ import annotations

import pytest

from exports.models import TikTokAuthorization
from tests.exports.conftest import CALLBACK_PATH, sign_in
from tests.support.processes import database_url_of_tests, django_server, free_port

pytestmark = pytest.mark.django_db(transaction=True)


def test_pointing_the_base_urls_at_another_emulator_needs_no_other_change(
    browser, site, settings, tmp_path
):
    port = free_port()
    emulator_env = {
        # Another TikTok emulator: a separate process on its own port, with this site
        # registered as its client.
        "DATABASE_URL": database_url_of_tests(),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "TIKTOK_SANDBOX": "1",
        "TIKTOK_SANDBOX_REDIRECT_URIS": site + CALLBACK_PATH,
    }
    log = tmp_path / "emulator.log"
    with django_server(port, emulator_env, log) as emulator:
        settings.TIKTOK_AUTH_BASE_URL = emulator + "/tiktok-sandbox"
        settings.TIKTOK_API_BASE_URL = emulator + "/tiktok-sandbox"

        result = sign_in(browser, site, kinds=["postsandprofile"])

    assert result.final.url == site + "/dashboard/"
    assert result.consent.url.startswith(emulator + "/tiktok-sandbox/v2/auth/authorize/")
    assert not browser.visited(site + "/tiktok-sandbox/")
    emulator_log = log.read_text()
    assert "POST /tiktok-sandbox/v2/oauth/token/" in emulator_log
    assert "GET /tiktok-sandbox/v2/user/info/" in emulator_log
    assert "portability.postsandprofile.single" in TikTokAuthorization.objects.get().granted_scopes
