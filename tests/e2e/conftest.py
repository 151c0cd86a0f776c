"""One Chromium for all the browser tests, driven through Playwright, and a fresh browser context
(cookies, language, time zone, screen) for each person a test plays."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.support.playwright import (
    BrowserMissingError,
    Tour,
    Viewport,
    django_orm_beside_playwright,
    ensure_browser,
    launch,
    viewports,
)


@dataclass(frozen=True)
class Chromium:
    browser: Browser
    viewports: dict[str, Viewport]


# Package scope: the browser, and the asyncio loop Playwright keeps running on this thread, are
# gone before the suite's other tests run (some run event loops of their own).
@pytest.fixture(scope="package")
def chromium() -> Iterator[Chromium]:
    try:
        ensure_browser()
    except BrowserMissingError as missing:
        pytest.fail(str(missing), pytrace=False)
    with django_orm_beside_playwright(), sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield Chromium(browser, viewports(playwright))
        finally:
            browser.close()


@pytest.fixture
def tour(chromium: Chromium) -> Iterator[Callable[..., Tour]]:
    """Starts the visit of one person in a context of their own:
    `tour(run, viewport, locale="de-DE", timezone_id="Europe/Berlin")`, `run` naming its
    screenshots."""
    visits: list[Tour] = []

    def start(run: str, viewport: str, *, locale: str, timezone_id: str) -> Tour:
        chosen = chromium.viewports[viewport]
        context = chromium.browser.new_context(
            **chosen.options, locale=locale, timezone_id=timezone_id, accept_downloads=True
        )
        context.set_default_timeout(15_000)
        visits.append(Tour(run, chosen, context))
        return visits[-1]

    yield start
    for visit in visits:
        visit.leave()
