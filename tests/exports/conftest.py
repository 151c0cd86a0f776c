from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.browser import Browser

CALLBACK_PATH = "/accounts/tiktok/login/callback/"


@dataclass
class SignIn:
    to_tiktok: requests.Response  # the site's redirect to TikTok's authorize URL
    consent: requests.Response  # TikTok's consent page
    callback: requests.Response | None  # TikTok's redirect back, as the site answered it
    final: requests.Response  # the page the person ends on

    @property
    def authorize_params(self) -> dict[str, str]:
        query = urlsplit(self.to_tiktok.headers["Location"]).query
        return {name: values[0] for name, values in parse_qs(query).items()}


def start_sign_in(
    browser: Browser,
    site: str,
    *,
    kinds: Iterable[str] = ("activity",),
    frequency: str = "single",
    start_from: str = "/",
    button: str = "Sign in with TikTok",
    export_now: bool = False,
) -> requests.Response:
    """Chooses data and submits: returns the site's redirect to TikTok's consent page.

    The landing page's form starts the export of what was chosen once TikTok sends the person
    back; with `export_now` False it is sent as the dashboard's "Allow more" sends it, granting
    only, for tests that ask for their exports themselves."""
    start_page = browser.get(site + start_from)
    choice = {"kinds": list(kinds), "frequency": frequency}
    if not export_now:
        choice["export_now"] = "False"
    to_tiktok = browser.submit(start_page, button, data=choice, follow=False)
    assert to_tiktok.status_code == 302, to_tiktok.text
    return to_tiktok


def sign_in(
    browser: Browser,
    site: str,
    *,
    kinds: Iterable[str] = ("activity",),
    frequency: str = "single",
    decision: str = "Authorize",
    uncheck: set[str] = frozenset(),
    start_from: str = "/",
    button: str = "Sign in with TikTok",
    persona: str = "",
    export_now: bool = False,
) -> SignIn:
    """Walks the sign-in as a person would: choose data, go to TikTok, decide (as the sandbox
    persona with open_id `persona`, else the first), come back."""
    to_tiktok = start_sign_in(
        browser,
        site,
        kinds=kinds,
        frequency=frequency,
        start_from=start_from,
        button=button,
        export_now=export_now,
    )
    consent = browser.follow(to_tiktok)
    assert consent.status_code == 200, consent.text
    history_before = len(browser.history)
    final = browser.submit(
        consent, decision, uncheck=uncheck, data={"persona": persona} if persona else None
    )
    callbacks = [r for r in browser.history[history_before:] if CALLBACK_PATH in r.url]
    return SignIn(to_tiktok, consent, callbacks[-1] if callbacks else None, final)


@pytest.fixture
def signed_in(browser: Browser, site: str) -> SignIn:
    result = sign_in(browser, site)
    assert result.final.url.endswith("/dashboard/"), result.final.text
    return result
