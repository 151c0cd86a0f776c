"""The language picker in the footer of every page, in Chromium: choosing a language changes
nothing until the "Change language" button is pressed (WCAG 3.2.2, on input)."""

from __future__ import annotations

import pytest
from django.utils import translation
from playwright.sync_api import Request, expect

from tests.support.playwright import mark_page, still_the_same_document

pytestmark = pytest.mark.django_db(transaction=True)

# Each language in its own name, as its speakers look for it.
OWN_NAMES = ["English", "Deutsch", "Français", "Español", "Italiano", "Nederlands", "Polski"]


def german(message: str) -> str:
    with translation.override("de"):
        return translation.gettext(message)


def test_a_person_with_an_english_browser_picks_german_and_the_site_stays_german(site, tour):
    visit = tour("picker-desktop", "desktop", locale="en-GB", timezone_id="Europe/London")
    page = visit.open_page()
    page.goto(site + "/")
    picker = page.locator("#language-picker")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(picker).to_have_value("en")
    expect(picker.locator("option")).to_have_count(7)
    visit.look(page, "english")

    picker.select_option("de")
    page.get_by_role("button", name="Change language").click()

    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page).to_have_url(site + "/")
    heading = german("Take your TikTok data with you")
    assert heading != "Take your TikTok data with you", "no German translation"
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(picker).to_have_value("de")
    visit.look(page, "german")
    # The choice outlasts the page: it wins over the browser's English from now on.
    page.goto(site + "/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    visit.assert_no_findings()


def test_arrow_keys_move_through_the_languages_without_leaving_the_page(site, tour):
    visit = tour("picker-keys", "desktop", locale="en-GB", timezone_id="Europe/London")
    page = visit.open_page()
    page.goto(site + "/")
    picker = page.locator("#language-picker")
    page.wait_for_load_state("networkidle")  # the favicon and such are no form being sent
    sent: list[str] = []

    def record(request: Request) -> None:
        if request.is_navigation_request() or request.method != "GET":
            sent.append(f"{request.method} {request.url}")

    page.on("request", record)
    mark_page(page)

    picker.focus()
    for _ in OWN_NAMES[1:]:
        page.keyboard.press("ArrowDown")
    page.wait_for_timeout(500)  # a submit or reload set off by a change would have begun

    expect(picker).to_have_value("pl")
    expect(picker).to_be_focused()
    assert still_the_same_document(page), "moving through the options reloaded the page"
    assert sent == [], f"moving through the options sent {sent}"
    expect(page.locator("html")).to_have_attribute("lang", "en")
    visit.assert_no_findings()


def test_each_language_is_offered_in_its_own_name(site, tour):
    visit = tour("picker-names", "phone", locale="de-DE", timezone_id="Europe/Berlin")
    page = visit.open_page()
    page.goto(site + "/")
    options = page.locator("#language-picker option")

    expect(options).to_have_text(OWN_NAMES)
    codes = [options.nth(i).get_attribute("value") for i in range(options.count())]
    languages = [options.nth(i).get_attribute("lang") for i in range(options.count())]
    assert codes == languages == ["en", "de", "fr", "es", "it", "nl", "pl"]
    visit.assert_no_findings()
