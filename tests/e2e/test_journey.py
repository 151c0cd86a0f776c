"""A person's whole visit, in Chromium, at a desktop and a phone viewport, in English and German:
choose data, sign in through the sandbox's consent page, add an email address, ask for an
export, watch it copy, download the zip, open the emailed link, cancel a second export and sign
out. Every page on the way is photographed (var/screenshots/) and checked with axe-core for
WCAG 2.1 AA. The site, the sandbox (as TikTok), the Celery worker, PostgreSQL and Redis are the
real ones, as in tests/exports/test_pipeline_end_to_end.py."""

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
}
# What the German pages must say in German, not in English as a fallback.
TRANSLATION_SAMPLES = [
    "Take your TikTok data with you",
    "Sign in with TikTok",
    "Ask TikTok for my data",
    "Download the zip",
    "Cancel this export",
    "Sign out",
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
        """Photographs and checks the page; the site's own pages must be in the person's
        language (the sandbox, standing for TikTok, is in English)."""
        if "/tiktok-sandbox/" not in page.url:
            expect(page.locator("html")).to_have_attribute("lang", self.person.language)
        self.visit.look(page, step)

    @property
    def email(self) -> str:
        """An address of this run's own: the worker's mail folder is shared by the module."""
        return f"{self.person.mailbox}+{self.visit.run}@example.org"

    def choose_data_and_sign_in(self) -> None:
        page, t = self.page, self.t
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
        page.locator('input[name="kinds"][value="postsandprofile"]').check()
        page.locator('input[name="frequency"][value="ongoing"]').check()
        page.get_by_role("button", name=t("Sign in with TikTok"), exact=True).click()

        expect(page).to_have_url(re.compile(re.escape(self.site) + r"/tiktok-sandbox/"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Authorize")
        page.get_by_label(self.person.persona).check()
        self.look(page, "consent")
        page.get_by_role("button", name="Authorize", exact=True).click()

        expect(page).to_have_url(self.site + "/dashboard/")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            t("Hello, %(name)s", name=self.person.persona)
        )
        self.look(page, "dashboard")

    def add_and_confirm_email(self) -> None:
        page, t, address = self.page, self.t, self.email
        page.locator('main a[href="/accounts/email/"]').first.click()
        expect(page).to_have_url(self.site + "/accounts/email/")
        page.locator('input[name="email"]').fill(address)
        page.get_by_role("button", name=t("Add Email"), exact=True).click()
        expect(page.locator("main")).to_contain_text(address)
        self.look(page, "email")

        # The site sends the confirmation itself (the live server, in this process).
        body = eventually(lambda: self.mailoutbox and self.mailoutbox[-1].body, "the email")
        page.goto(re.search(r"https?://\S+/accounts/confirm-email/\S+/", body).group(0))
        self.look(page, "email-confirm")
        page.get_by_role("button", name=t("Confirm"), exact=True).click()
        eventually(lambda: EmailAddress.objects.filter(email=address, verified=True).exists(),
                   "the address's confirmation")  # fmt: skip

    def ask_for_an_export_and_watch_it_copy(self) -> ExportRequest:
        page, t = self.page, self.t
        # A few MiB, stalled halfway for a while: long enough to see the copy under way.
        self.settings.TIKTOK_SANDBOX_ARCHIVE_SIZE = 3 * MIB
        inject_fault("download", kind="stall", at=0.5, seconds=COPY_STALL_SECONDS)
        page.goto(self.site + "/dashboard/")
        expect(page.locator("main")).to_contain_text(
            t("We will email %(email_address)s when an export is ready.",
              email_address=self.email)
        )  # fmt: skip
        # Both under the one permission "posts & profile": one request uses one permission.
        page.locator('input[name="categories"][value="video"]').check()
        page.locator('input[name="categories"][value="profile"]').check()
        page.locator('input[name="data_format"][value="json"]').check()
        page.get_by_role("button", name=t("Ask TikTok for my data"), exact=True).click()

        export = eventually(ExportRequest.objects.first, "the export's creation")
        expect(page).to_have_url(f"{self.site}/exports/{export.pk}/")
        self.look(page, "export-requested")
        mark_page(page)
        # A second tab on the dashboard follows the same export from before the copy to its end:
        # longer than any page refresh would wait, so a reload could not go unnoticed.
        dashboard = self.visit.open_page()
        dashboard.goto(self.site + "/dashboard/")
        with translation.override(self.person.language):
            title = export.describe_categories()
        expect(dashboard.locator("#exports")).to_contain_text(title)
        mark_page(dashboard)

        progress = page.locator("#copy-progress")
        expect(progress).to_be_visible(timeout=30_000)
        received, total = int(progress.get_attribute("value")), int(progress.get_attribute("max"))
        copying = ExportRequest.objects.get(pk=export.pk)
        assert copying.state == ExportState.FETCHING
        assert total == copying.bytes_total
        assert 0 < received < total, (received, total)
        expect(page.locator("#wait-estimate")).to_have_text(re.compile(r"\w"))
        self.look(page, "export-copying")

        expect(dashboard.locator("#exports")).to_contain_text(t(ExportState.FETCHING.label))
        self.look(dashboard, "dashboard-copying")

        expect(page.get_by_role("link", name=t("Download the zip"))).to_be_visible(timeout=60_000)
        assert still_the_same_document(page), "the export page reloaded instead of updating"
        expect(page.locator("#copy-progress")).to_have_count(0)
        ready = wait_for(export.pk, lambda e: e.state == ExportState.READY, self.pipeline.log)
        self.look(page, "export-ready")

        listed = dashboard.locator("#exports").get_by_role("link", name=t("Download"), exact=True)
        expect(listed).to_be_visible(timeout=10_000)
        assert still_the_same_document(dashboard), "the dashboard reloaded instead of updating"
        dashboard.close()
        return ready

    def download_the_zip(self, export: ExportRequest) -> None:
        with self.page.expect_download() as downloading:
            self.page.get_by_role("link", name=self.t("Download the zip")).click()
        download = downloading.value
        path = download.path()
        assert download.suggested_filename.endswith(".zip")
        assert hashlib.sha256(path.read_bytes()).hexdigest() == export.archive_sha256
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None
            assert "user_data_tiktok.json" in archive.namelist()

    def open_the_emailed_link(self, export: ExportRequest) -> None:
        # The worker sends it: its mail backend writes files (see Pipeline.emails_to).
        emails = eventually(lambda: self.pipeline.emails_to(self.email), "the email")
        assert len(emails) == 1
        body = text_of(emails[0])
        assert self.t("This link works for a few days and only for you.") in body
        self.export_email = body
        self.page.goto(re.search(r"https?://\S+/exports/link/\S+/", body).group(0))
        expect(self.page).to_have_url(f"{self.site}/exports/{export.pk}/")
        expect(self.page.get_by_role("link", name=self.t("Download the zip"))).to_be_visible()
        self.look(self.page, "emailed-link")

    def ask_for_another_export_and_cancel_it(self) -> None:
        page, t = self.page, self.t
        self.settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER = 600.0  # TikTok keeps preparing it
        page.get_by_role("navigation").get_by_role("link", name=t("Dashboard")).click()
        expect(page).to_have_url(self.site + "/dashboard/")
        page.locator('input[name="categories"][value="activity"]').check()
        page.get_by_role("button", name=t("Ask TikTok for my data"), exact=True).click()
        second = eventually(
            ExportRequest.objects.exclude(state=ExportState.READY).first, "the second export"
        )
        expect(page).to_have_url(f"{self.site}/exports/{second.pk}/")

        wait_for(second.pk, lambda e: e.state == ExportState.PROCESSING, self.pipeline.log)
        state = page.locator("#export-status .state")
        expect(state).to_have_text(t(ExportState.PROCESSING.label), timeout=10_000)
        self.look(page, "export-processing")
        page.get_by_role("button", name=t("Cancel this export"), exact=True).click()

        expect(state).to_have_text(t(ExportState.CANCELLED.label))
        expect(page.locator("main")).to_contain_text(t("The export was cancelled."))
        assert ExportRequest.objects.get(pk=second.pk).state == ExportState.CANCELLED
        self.look(page, "export-cancelled")
        self.sees_dates_in_their_time_zone(second)

    def sees_dates_in_their_time_zone(self, export: ExportRequest) -> None:
        """On the export page and in the email: in the browser's time zone (the tz cookie),
        not the server's."""
        local = self.person.shows(export.created_at, self.person.timezone_id)
        utc = self.person.shows(export.created_at, "UTC")
        assert local != utc
        expect(self.page.locator("main")).to_contain_text(local)
        expect(self.page.locator("main")).not_to_contain_text(utc)
        assert f"({self.person.timezone_id})" in self.export_email, self.export_email

    def sign_out(self) -> None:
        page, t = self.page, self.t
        page.get_by_role("button", name=t("Sign out"), exact=True).click()
        expect(page).to_have_url(self.site + "/")
        sign_in = page.get_by_role("button", name=t("Sign in with TikTok"), exact=True)
        expect(sign_in).to_be_visible()
        expect(page.get_by_role("button", name=t("Sign out"), exact=True)).to_have_count(0)
        self.look(page, "signed-out")


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
@pytest.mark.parametrize("language", ["en", "de"])
def test_a_person_signs_in_exports_downloads_cancels_and_signs_out_in_their_language(
    journey, language, viewport
):
    person = journey(language, viewport)

    person.choose_data_and_sign_in()
    person.add_and_confirm_email()
    export = person.ask_for_an_export_and_watch_it_copy()
    person.download_the_zip(export)
    person.open_the_emailed_link(export)
    person.ask_for_another_export_and_cancel_it()
    person.sign_out()

    person.visit.assert_no_findings()
