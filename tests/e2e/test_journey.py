"""A person's whole visit, in Chromium, at a desktop and a phone viewport, in English, German and
Polish: choose Activity on the landing page, consent on the sandbox's page, and the export starts
with no second choice; watch it copy, download the zip, add and verify an email address, have the
export emailed, open the emailed link signed out (it says to sign in, and leads back to the
export), delete the archive after confirming, and sign out. Every page on the way, the email
pages and TikTok's (the sandbox's) included, is photographed (var/screenshots/) and checked with
axe-core for WCAG 2.1 AA. The site, the sandbox (as TikTok), the Celery worker, PostgreSQL and
Redis are the real ones, as in tests/exports/test_pipeline_end_to_end.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
import zipfile
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.utils import formats, timezone, translation
from playwright.sync_api import Page, expect

from exports.models import ExportRequest, ExportState
from tests.exports.test_pipeline_end_to_end import Pipeline, pipeline, wait_for, worker
from tests.support.playwright import Tour, mark_page, still_the_same_document
from tiktok_sandbox.faults import inject_fault

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["pipeline", "worker"]  # fixtures, shared with the end-to-end tests

MIB = 1024 * 1024
# Long enough for the export page (polling every 2 s) and the dashboard (every 3 s) to show the
# copy under way, short enough for the worker's read timeout (30 s) to wait it out.
COPY_STALL_SECONDS = 10.0


@dataclass(frozen=True)
class Person:
    language: str
    locale: str
    timezone_id: str
    persona: str
    mailbox: str

    def t(self, message: str, **values: object) -> str:
        """`message` as the site shows it in this person's language."""
        with translation.override(self.language):
            text = translation.gettext(message)
        return text % values if values else text

    def shows(self, moment: dt.datetime, zone: str) -> str:
        """How the site writes `moment` (DATETIME_FORMAT) for this person, in time zone `zone`."""
        with translation.override(self.language):
            local = timezone.localtime(moment, zoneinfo.ZoneInfo(zone))
            return formats.date_format(local, "DATETIME_FORMAT")


# Both time zones are hours away from UTC all year, so dates shown in UTC would be noticed.
PEOPLE = {
    "en": Person("en", "en-GB", "Europe/Helsinki", "Amara Okafor", "amara"),
    "de": Person("de", "de-DE", "Europe/Berlin", "Jonas Becker", "jonas"),
    "pl": Person("pl", "pl-PL", "Europe/Warsaw", "Lucía Fernández", "lucia"),
}
# The consent button on TikTok's page, in the sandbox's words.
SANDBOX_AUTHORIZE = "Authorize"
# What the German pages must say in German, not in English as a fallback.
TRANSLATION_SAMPLES = [
    "Take your TikTok data with you",
    "Sign in with TikTok",
    "New export",
    "Download the zip",
    "Delete the stored archive…",
    "Sign in to see your export",
    "Sign out",
    SANDBOX_AUTHORIZE,
]


def eventually(condition: Callable[[], Any], what: str, seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {seconds} s")


def text_of(message: Message) -> str:
    """A single-part email's text. Read back from the worker's mail files as text, an 8bit body
    is already text (its bytes were decoded with the file)."""
    if message.get("Content-Transfer-Encoding", "8bit").lower() in {"7bit", "8bit"}:
        return message.get_payload()
    return message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")


@dataclass
class Journey:
    """One person's visit, step by step, as they would click through it."""

    person: Person
    visit: Tour
    page: Page
    site: str
    pipeline: Pipeline
    settings: Any
    mailoutbox: list
    export_email: str = ""

    def t(self, message: str, **values: object) -> str:
        return self.person.t(message, **values)

    def look(self, page: Page, step: str) -> None:
        """Photographs and checks the page, which must be in the person's language (TikTok's
        own consent page, the sandbox's here, is localised too)."""
        expect(page.locator("html")).to_have_attribute("lang", self.person.language)
        self.visit.look(page, step)

    @property
    def email(self) -> str:
        """An address of this run's own: the worker's mail folder is shared by the module."""
        return f"{self.person.mailbox}+{self.visit.run}@example.org"

    def choose_activity_and_sign_in(self) -> ExportRequest:
        """The landing page's choice is the only one: after TikTok's consent the export of
        exactly that starts by itself."""
        page, t = self.page, self.t
        # A few MiB, stalled halfway for a while: long enough to see the copy under way.
        self.settings.TIKTOK_SANDBOX_ARCHIVE_SIZE = 3 * MIB
        inject_fault("download", kind="stall", at=0.5, seconds=COPY_STALL_SECONDS)
        page.goto(self.site + "/")
        # The browser's language is the site's first guess.
        expect(page.locator("html")).to_have_attribute("lang", self.person.language)
        if self.person.language != "en":
            untranslated = [text for text in TRANSLATION_SAMPLES if t(text) == text]
            assert not untranslated, f"No {self.person.language} translation for: {untranslated}"
        expect(page.get_by_role("heading", level=1)).to_have_text(
            t("Take your TikTok data with you")
        )
        self.look(page, "home")

        page.locator('input[name="kinds"][value="activity"]').check()
        page.get_by_role("button", name=t("Sign in with TikTok"), exact=True).click()
        self.consent_at_tiktok("consent")

        expect(page).to_have_url(self.site + "/dashboard/")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            t("Hello, %(name)s", name=self.person.persona)
        )
        export = eventually(ExportRequest.objects.first, "the export's start")
        assert (export.categories, export.scope) == (["activity"], "portability.activity.single")
        with translation.override(self.person.language):
            contents = export.describe_categories()
        expect(page.locator("main")).to_contain_text(
            t("We asked TikTok for your data: %(contents)s.",
              contents=contents)
        )  # fmt: skip
        # No second form to fill in: the dashboard's only choice of data is folded away.
        expect(page.locator('input[name="kinds"]:visible')).to_have_count(0)
        self.look(page, "dashboard")
        page.locator("#exports").get_by_role("link", name=contents, exact=True).click()
        expect(page).to_have_url(f"{self.site}/exports/{export.pk}/")
        return export

    def consent_at_tiktok(self, step: str) -> None:
        """TikTok's consent page (the sandbox's), in the person's language: as this person."""
        page = self.page
        expect(page).to_have_url(re.compile(re.escape(self.site) + r"/tiktok-sandbox/"))
        expect(page.locator("html")).to_have_attribute("lang", self.person.language)
        expect(page.get_by_role("heading", level=1)).to_contain_text(
            self.settings.TIKTOK_SANDBOX_APP_NAME
        )
        page.get_by_label(self.person.persona).check()
        self.look(page, step)
        page.get_by_role("button", name=self.t(SANDBOX_AUTHORIZE), exact=True).click()

    def add_and_confirm_email(self) -> None:
        page, t, address = self.page, self.t, self.email
        page.get_by_role("navigation").get_by_role("link", name=t("Dashboard")).click()
        page.locator('main a[href="/accounts/email/"]').first.click()
        expect(page).to_have_url(self.site + "/accounts/email/")
        page.locator('input[name="email"]').fill(address)
        page.get_by_role("button", name=t("Add email"), exact=True).click()
        expect(page.locator("main")).to_contain_text(address)
        self.look(page, "email")

        # The site sends the confirmation itself (the live server, in this process).
        body = eventually(lambda: self.mailoutbox and self.mailoutbox[-1].body, "the email")
        page.goto(re.search(r"https?://\S+/accounts/confirm-email/\S+/", body).group(0))
        self.look(page, "email-confirm")
        page.get_by_role("button", name=t("Confirm"), exact=True).click()
        eventually(lambda: EmailAddress.objects.filter(email=address, verified=True).exists(),
                   "the address's confirmation")  # fmt: skip

    def watch_it_copy_and_download(self, export: ExportRequest) -> ExportRequest:
        page, t = self.page, self.t
        self.look(page, "export-started")
        mark_page(page)
        progress = page.locator("#copy-progress")
        expect(progress).to_be_visible(timeout=30_000)
        received, total = int(progress.get_attribute("value")), int(progress.get_attribute("max"))
        copying = ExportRequest.objects.get(pk=export.pk)
        assert copying.state == ExportState.FETCHING
        assert total == copying.bytes_total
        assert 0 < received < total, (received, total)
        expect(page.locator(".copy-percent")).to_have_text(re.compile(r"^\d{1,3}\s?%$"))
        expect(page.locator("#wait-estimate")).to_have_text(re.compile(r"\w"))
        self.look(page, "export-copying")

        expect(page.get_by_role("link", name=t("Download the zip"))).to_be_visible(timeout=60_000)
        assert still_the_same_document(page), "the export page reloaded instead of updating"
        ready = wait_for(export.pk, lambda e: e.state == ExportState.READY, self.pipeline.log)
        # Without an address there is nobody to email it to again.
        expect(page.get_by_role("button", name=t("Email me about it again"))).to_have_count(0)
        self.look(page, "export-ready")

        with page.expect_download() as downloading:
            page.get_by_role("link", name=t("Download the zip")).click()
        download = downloading.value
        path = download.path()
        assert download.suggested_filename.endswith(".zip")
        assert hashlib.sha256(path.read_bytes()).hexdigest() == ready.archive_sha256
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None
            assert "user_data_tiktok.json" in archive.namelist()
        return ready

    def have_it_emailed(self, export: ExportRequest) -> str:
        """With an address now verified, asks for the email about the export: its link."""
        page, t = self.page, self.t
        page.goto(f"{self.site}/exports/{export.pk}/")
        page.get_by_role("button", name=t("Email me about it again"), exact=True).click()
        expect(page.locator("main")).to_contain_text(
            t("We are sending the email again. It can take a minute.")
        )
        emails = eventually(lambda: self.pipeline.emails_to(self.email), "the email", 60)
        body = text_of(emails[-1])
        assert self.t("This link works for a few days and only for you.") in body
        self.export_email = body
        return re.search(r"https?://\S+/exports/link/\S+/", body).group(0)

    def open_the_link_signed_out_and_sign_in_to_it(self, export: ExportRequest, link: str) -> None:
        """Signed out, the emailed link says to sign in for the export, and signing in (with
        nothing to choose) leads straight back to it."""
        page, t = self.page, self.t
        self.sign_out("signed-out-before-link")
        page.goto(link)
        expect(page.get_by_role("heading", level=1)).to_have_text(t("Sign in to see your export"))
        self.look(page, "emailed-link-signed-out")
        page.locator("main .notice").get_by_role(
            "button", name=t("Sign in with TikTok"), exact=True
        ).click()
        self.consent_at_tiktok("consent-again")
        expect(page).to_have_url(f"{self.site}/exports/{export.pk}/")
        expect(page.get_by_role("link", name=t("Download the zip"))).to_be_visible()
        self.look(page, "emailed-link")
        self.sees_dates_in_their_time_zone(export)

    def delete_the_archive_after_confirming(self, export: ExportRequest) -> None:
        page, t = self.page, self.t
        page.get_by_role("link", name=t("Delete the stored archive…"), exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(t("Delete the stored archive?"))
        # Asking changes nothing.
        assert ExportRequest.objects.get(pk=export.pk).state == ExportState.READY
        self.look(page, "delete-confirm")
        page.get_by_role("button", name=t("Delete the archive"), exact=True).click()
        expect(page).to_have_url(f"{self.site}/exports/{export.pk}/")
        expect(page.locator("main")).to_contain_text(t("The archive was deleted."))
        deleted = ExportRequest.objects.get(pk=export.pk)
        assert deleted.state == ExportState.DELETED
        self.look(page, "export-deleted")

    def sees_dates_in_their_time_zone(self, export: ExportRequest) -> None:
        """On the export page and in the email: in the browser's time zone (the tz cookie),
        not the server's."""
        local = self.person.shows(export.created_at, self.person.timezone_id)
        utc = self.person.shows(export.created_at, "UTC")
        assert local != utc
        expect(self.page.locator("main")).to_contain_text(local)
        expect(self.page.locator("main")).not_to_contain_text(utc)
        assert f"({self.person.timezone_id})" in self.export_email, self.export_email

    def sign_out(self, step: str = "signed-out") -> None:
        page, t = self.page, self.t
        page.get_by_role("button", name=t("Sign out"), exact=True).click()
        expect(page).to_have_url(self.site + "/")
        sign_in = page.get_by_role("button", name=t("Sign in with TikTok"), exact=True)
        expect(sign_in).to_be_visible()
        expect(page.get_by_role("button", name=t("Sign out"), exact=True)).to_have_count(0)
        self.look(page, step)


@pytest.fixture
def journey(tour, pipeline, site, settings, mailoutbox) -> Callable[[str, str], Journey]:
    def start(language: str, viewport: str) -> Journey:
        person = PEOPLE[language]
        visit = tour(
            f"{language}-{viewport}", viewport, locale=person.locale, timezone_id=person.timezone_id
        )
        return Journey(person, visit, visit.open_page(), site, pipeline, settings, mailoutbox)

    return start


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["en", "de", "pl"])
def test_a_person_chooses_once_and_gets_their_data_downloaded_emailed_and_deleted_in_their_language(
    journey, language, viewport
):
    person = journey(language, viewport)

    export = person.choose_activity_and_sign_in()
    ready = person.watch_it_copy_and_download(export)
    person.add_and_confirm_email()
    link = person.have_it_emailed(ready)
    person.open_the_link_signed_out_and_sign_in_to_it(ready, link)
    person.delete_the_archive_after_confirming(ready)
    person.sign_out()

    person.visit.assert_no_findings()
