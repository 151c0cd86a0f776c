"""Two first visits in Chromium that end somewhere other than a download: a person TikTok does
not serve (outside the EEA and the UK), who must learn it at once and in their language, and a
person who signs in without choosing anything, whose empty dashboard must fit one phone screen.
The site, the sandbox (as TikTok), the Celery worker, PostgreSQL and Redis are the real ones."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Page, expect

from exports.models import ExportRequest, ExportState, TikTokAuthorization
from tests.exports.test_pipeline_end_to_end import pipeline, wait_for, worker
from tiktok_sandbox.personas import PERSONAS

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["pipeline", "worker"]  # fixtures, shared with the end-to-end tests

OUTSIDE_THE_EEA_AND_UK = next(p for p in PERSONAS if not p.in_eea_or_uk)
INSIDE_THE_EEA_AND_UK = next(p for p in PERSONAS if p.in_eea_or_uk)
LOCALES = {"en": "en-GB", "de": "de-DE", "pl": "pl-PL"}


def t(language: str, message: str, **values: object) -> str:
    with translation.override(language):
        text = translation.gettext(message)
    return text % values if values else text


def consent(page: Page, language: str, persona: str) -> None:
    expect(page).to_have_url(re.compile(r"/tiktok-sandbox/"))
    page.get_by_label(persona).check()
    page.get_by_role("button", name=t(language, "Authorize"), exact=True).click()


@pytest.mark.parametrize("language", ["en", "de", "pl"])
def test_a_person_outside_the_eea_and_uk_learns_it_right_after_signing_in_and_is_not_asked_to_retry(
    tour, pipeline, site, language
):
    visit = tour(f"not-eligible-{language}", "phone", locale=LOCALES[language],
                 timezone_id="America/Chicago")  # fmt: skip
    page = visit.open_page()
    page.goto(site + "/")
    page.locator('input[name="kinds"][value="all"]').check()
    page.get_by_role("button", name=t(language, "Sign in with TikTok"), exact=True).click()
    consent(page, language, OUTSIDE_THE_EEA_AND_UK.display_name)

    # The export starts by itself; TikTok refuses it, and the dashboard moves to the reason.
    expect(page).to_have_url(site + reverse("not_eligible"), timeout=30_000)
    export = ExportRequest.objects.get()
    wait_for(export.pk, lambda e: e.state == ExportState.FAILED, pipeline.log)
    assert ExportRequest.objects.get(pk=export.pk).failure_code == "not_eligible"
    assert TikTokAuthorization.objects.get().is_not_eligible
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t(language, "TikTok does not offer this to your account")
    )
    expect(page.locator("main")).to_contain_text(
        t(language, "Open Settings and privacy, then Account, then Download your data.")
    )
    visit.look(page, "eligibility")
    # Nothing on it would send the person to TikTok for the same refusal again.
    expect(page.get_by_role("link", name=t(language, "New export"))).to_have_count(0)
    expect(page.locator('form[action="/sign-in/tiktok/"], form[action="/exports/"]')).to_have_count(
        0
    )

    # Its export's page says the same, in the same words, and offers no new export.
    page.locator("#exports a.export-title").first.click()
    expect(page.locator("main")).to_contain_text(t(language, "What you can do instead"))
    expect(page.get_by_role("link", name=t(language, "Ask for a new export"))).to_have_count(0)
    visit.look(page, "eligibility-export")
    page.goto(site + reverse("dashboard"))
    expect(page).to_have_url(site + reverse("not_eligible"))
    visit.assert_no_findings()


@pytest.mark.parametrize("language", ["en", "pl"])
def test_an_empty_dashboard_fits_on_one_phone_screen(tour, site, language):
    visit = tour(f"empty-dashboard-{language}", "phone", locale=LOCALES[language],
                 timezone_id="Europe/Warsaw")  # fmt: skip
    page = visit.open_page()
    page.goto(site + "/")
    page.get_by_role("button", name=t(language, "Sign in again"), exact=True).click()
    consent(page, language, INSIDE_THE_EEA_AND_UK.display_name)

    expect(page).to_have_url(site + reverse("dashboard"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t(language, "Hello, %(name)s", name=INSIDE_THE_EEA_AND_UK.display_name)
    )
    visit.look(page, "empty-dashboard")
    # Everything in it, to its last section, is on the first screen (the footer may follow).
    content_bottom = page.evaluate(
        "Math.max(...[...document.querySelectorAll('main > *')]"
        ".map(element => element.getBoundingClientRect().bottom))"
    )
    assert content_bottom <= page.viewport_size["height"], (content_bottom, page.viewport_size)
    # The one primary action is there, and leads to the one form.
    page.get_by_role("link", name=t(language, "New export"), exact=True).click()
    expect(page).to_have_url(site + reverse("new_export"))
    visit.look(page, "new-export")
    visit.assert_no_findings()
