"""Behind TRUSTED_PROXY_COUNT proxies, the site's own rate limits (exports.ratelimit) and
allauth's (its email and login-code limits) count one and the same client address: settings.py
hands the count to allauth as ALLAUTH_TRUSTED_PROXY_COUNT."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from allauth.account.adapter import get_adapter
from django.test import RequestFactory

from exports.ratelimit import client_address

SETTINGS = Path(__file__).resolve().parents[2] / "portability_site" / "settings.py"
PROXY = "10.0.0.7"
CLIENT = "203.0.113.9"


@pytest.fixture
def behind_one_proxy(monkeypatch, settings) -> None:
    """The settings as settings.py makes them for TRUSTED_PROXY_COUNT=1."""
    monkeypatch.setenv("TRUSTED_PROXY_COUNT", "1")
    made = runpy.run_path(str(SETTINGS))
    for name in ("TRUSTED_PROXY_COUNT", "ALLAUTH_TRUSTED_PROXY_COUNT"):
        if name in made:
            setattr(settings, name, made[name])


@pytest.mark.parametrize(
    "forwarded_for",
    [
        CLIENT,  # what the proxy appended
        f"198.51.100.66, {CLIENT}",  # the client's own forged entry, then the proxy's
    ],
)
def test_both_rate_limits_count_the_address_the_proxy_saw(behind_one_proxy, forwarded_for):
    request = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, headers={"X-Forwarded-For": forwarded_for}
    )

    assert client_address(request) == CLIENT
    assert get_adapter(request).get_client_ip(request) == CLIENT
