"""The language picker in the footer of every page, in Chromium."""

from __future__ import annotations

import pytest
from django.utils import translation
from playwright.sync_api import expect

from tests.support.playwright import mark_page, still_the_same_document

pytestmark = pytest.mark.django_db(transaction=True)


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
    mark_page(page)

    picker.select_option("de")

    expect(page.locator("html")).to_have_attribute("lang", "de")
    assert not still_the_same_document(page), "the page was not reloaded in the new language"
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
