"""The archive explorer, in Chromium, for every layout TikTok has used (JSON generations A, B
and C, the English and the Dutch text trees): a person signs in through the sandbox, asks for
an export of their activity, waits until the site has read it, and opens its overview from the
export page. There the data sets' counts are the reading's, and the charts' numbers add up to
the watch history; a data set's table narrows to the days chosen; a search finds a term the
archive holds and says when nothing matches; "What changed" compares two exports; and a
reviewed share leaves out the row the person struck, and only that row.

What the pages show is checked against the database the worker wrote (ExportReading,
ExportRecord), not against the site's own views. Every explorer page visited is photographed
(var/screenshots/) and checked with axe-core for WCAG 2.1 AA, at a desktop and a phone viewport
for JSON generation C and at the desktop for the others. One German visit checks that the
overview is in German. The site, the sandbox (as TikTok), the Celery worker, PostgreSQL and
Redis are the real ones, as in tests/e2e/test_journey.py."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
import zoneinfo
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import formats, timezone, translation
from playwright.sync_api import Locator, Page, expect

from exports.dataset_labels import label_of
from exports.datasets import ExportReading, ExportRecord, ReadingState
from exports.models import ExportRequest, ExportState
from exports.reader.values import iso_utc
from exports.services.explorer import PAGE_SIZE
from tests.e2e.test_journey import PEOPLE, SANDBOX_AUTHORIZE, Person, eventually
from tests.exports.test_pipeline_end_to_end import Pipeline, pipeline, wait_for, worker
from tests.exports.test_reading_every_layout import CASES, wait_for_reading
from tests.support.playwright import Tour

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["pipeline", "worker"]  # fixtures, shared with the end-to-end tests

# The layouts of tests/exports/test_reading_every_layout.py the explorer is walked through.
LAYOUTS = ["json_gen_a", "json_gen_b", "json_gen_c", "text_english_2026", "text_dutch"]
# The layout whose pages are also seen on a phone, and whose person asks for a second export
# to see "What changed".
COMPARED = "json_gen_c"
# Searched for, and in no archive.
NOWHERE = "qxzv-no-such-words-qxzv"
# Data sets of words a person would search for and share, each with the field that holds
# them: the first one an archive holds is used (a Dutch text archive has no searches, only the
# files seen in real Dutch exports: tiktok_sandbox/archives/trees.py).
WORDS = (("searches", "term"), ("comments", "text"))
# What the German overview must say in German (its heading is checked as shown).
GERMAN_SAMPLES = [
    "Your TikTok data, exported %(day)s",
    "What is inside",
    "Videos watched",
    "Overview",
    "What changed",
    "Share a part",
]


def words_of(reading: ExportReading) -> tuple[str, str]:
    """The data set of words the reading holds (see WORDS), and its field."""
    held = [(name, field) for name, field in WORDS if reading.datasets.get(name, {}).get("count")]
    assert held, f"the archive holds none of {[name for name, _field in WORDS]}"
    return held[0]


def numbers_in(texts: list[str]) -> list[int]:
    """The whole numbers of cells written as the page's language writes them ("1,234")."""
    return [int(re.sub(r"\D", "", text)) for text in texts]


@dataclass
class ExplorerVisit:
    """One person's visit to the explorer, step by step, as they would click through it."""

    person: Person
    visit: Tour
    page: Page
    site: str
    pipeline: Pipeline

    def t(self, message: str, **values: object) -> str:
        return self.person.t(message, **values)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.person.timezone_id)

    def look(self, step: str) -> None:
        """Photographs the page and checks it (axe-core, fit on a phone), in the person's
        language."""
        expect(self.page.locator("html")).to_have_attribute("lang", self.person.language)
        self.visit.look(self.page, step)

    def nav(self, name: str) -> Locator:
        """A link of the explorer's own navigation."""
        explorer_nav = self.page.get_by_role("navigation", name=self.t("Your data"), exact=True)
        return explorer_nav.get_by_role("link", name=self.t(name), exact=True)

    # -- Signing in and asking for an export ----------------------------------------------------

    def sign_in(self) -> None:
        """Signs in again with nothing chosen (nothing is exported yet): the export, and its
        format, are chosen on the new-export page."""
        page = self.page
        page.goto(self.site + "/")
        page.get_by_role("button", name=self.t("Sign in again"), exact=True).click()
        self.consent_at_tiktok()
        expect(page).to_have_url(self.site + "/dashboard/")

    def consent_at_tiktok(self) -> None:
        page = self.page
        expect(page).to_have_url(re.compile(re.escape(self.site) + r"/tiktok-sandbox/"))
        page.get_by_label(self.person.persona).check()
        page.get_by_role("button", name=self.t(SANDBOX_AUTHORIZE), exact=True).click()

    def ask_for_export(self, data_format: str, *, allowed_already: bool) -> ExportRequest:
        """Asks for an export of activity in `data_format` on the new-export page, allowing it
        at TikTok for as many exports as the person likes the first time; returns it, its page
        open."""
        page, t = self.page, self.t
        before = ExportRequest.objects.count()
        page.get_by_role("link", name=t("Dashboard"), exact=True).first.click()
        expect(page).to_have_url(self.site + "/dashboard/")
        page.locator("main").get_by_role("link", name=t("New export"), exact=True).first.click()
        expect(page).to_have_url(self.site + "/exports/new/")
        page.locator('input[name="kinds"][value="activity"]').check()
        page.locator(f'input[name="data_format"][value="{data_format}"]').check()
        if not allowed_already:
            page.locator("summary", has_text=t("If TikTok must ask you first: allow it")).click()
            page.locator('input[name="frequency"][value="ongoing"]').check()
        page.get_by_role("button", name=t("Ask TikTok for my data"), exact=True).click()
        if not allowed_already:
            # TikTok asks first, and sends the person back to their dashboard.
            self.consent_at_tiktok()
            expect(page).to_have_url(self.site + "/dashboard/")
        export = eventually(
            lambda: (
                ExportRequest.objects.count() > before
                and ExportRequest.objects.order_by("-created_at").first()
            ),
            "the export's start",
        )
        assert export.data_format == data_format
        if not allowed_already:
            with translation.override(self.person.language):
                contents = export.describe_categories()
            page.locator("#exports").get_by_role("link", name=contents, exact=True).first.click()
        expect(page).to_have_url(f"{self.site}/exports/{export.pk}/")
        return export

    def wait_until_read(self, export: ExportRequest) -> ExportReading:
        """Waits on the export page until it offers the explorer: the archive is stored and
        read."""
        wait_for(export.pk, lambda e: e.state == ExportState.READY, self.pipeline.log)
        reading = wait_for_reading(export.pk, self.pipeline.log)
        assert reading.state == ReadingState.DONE, reading.failure_detail
        expect(self.page.locator("#explore-link")).to_be_visible(timeout=30_000)
        return reading

    def open_the_overview(self, export: ExportRequest) -> None:
        self.page.locator("#explore-link").click()
        expect(self.page).to_have_url(f"{self.site}/exports/{export.pk}/explore/")

    # -- What the explorer shows ----------------------------------------------------------------

    def sees_the_readings_counts_and_charts_that_agree(self, reading: ExportReading) -> None:
        """The data sets' counts are the reading's; the videos watched are the watch history,
        and the videos per day, as a table and as bars, add up to it."""
        page = self.page
        expected = {
            name: found["count"] for name, found in reading.datasets.items() if found["count"]
        }
        rows = page.locator("#dataset-counts tbody tr[id^='count-']")
        expect(rows).to_have_count(len(expected))
        shown = {
            row.get_attribute("id").removeprefix("count-"): int(row.get_attribute("data-count"))
            for row in rows.all()
        }
        assert shown == expected
        watched = expected["watch_history"]
        expect(page.locator("#videos-watched")).to_have_attribute("data-value", str(watched))

        per_day = page.locator("#watching figure.chart-figure").first
        per_day.locator("details > summary").click()
        cells = per_day.locator("details tbody td")
        expect(cells.first).to_be_visible()
        days = numbers_in(cells.all_inner_texts())
        assert sum(days) == watched, (days, watched)
        # Each bar's tooltip ends with its number.
        bars = per_day.locator("svg rect.chart-bar > title").all_text_contents()
        assert len(bars) == len(days)
        assert sum(numbers_in([bar.rsplit(": ", 1)[1] for bar in bars])) == watched
        self.look("overview")

    def narrows_a_table_to_one_day(self, export: ExportRequest) -> None:
        """The watch history's table shows, for one day (in the person's time zone), exactly
        that day's videos."""
        page = self.page
        page.locator("#count-watch_history th a").click()
        expect(page).to_have_url(f"{self.site}/exports/{export.pk}/explore/data/watch_history/")
        expect(page.get_by_role("heading", level=1)).to_have_text(label_of("watch_history"))
        moments = ExportRecord.objects.filter(
            export_id=export.pk, dataset="watch_history", occurred_at__isnull=False
        ).values_list("occurred_at", flat=True)
        per_day = Counter(moment.astimezone(self.zone).date() for moment in moments)
        total = ExportRecord.objects.filter(export_id=export.pk, dataset="watch_history").count()
        rows = page.locator("#records tbody tr")
        expect(rows).to_have_count(min(total, PAGE_SIZE))
        self.look("table")

        # The busiest day that fits on one page, and is not all of them.
        day, videos = max(
            ((day, n) for day, n in per_day.items() if n <= PAGE_SIZE and n < total),
            key=lambda item: (item[1], item[0]),
        )
        form = page.locator("#browse-form")
        form.get_by_label(self.t("From"), exact=True).fill(day.isoformat())
        form.get_by_label(self.t("To"), exact=True).fill(day.isoformat())
        form.get_by_role("button", name=self.t("Show"), exact=True).click()
        expect(page).to_have_url(re.compile(rf"since={day.isoformat()}&until={day.isoformat()}"))
        expect(rows).to_have_count(videos)
        shown = page.locator("#records tbody time").evaluate_all(
            "times => times.map((t) => t.getAttribute('datetime'))"
        )
        assert len(shown) == videos
        assert {
            dt.datetime.fromisoformat(moment).astimezone(self.zone).date() for moment in shown
        } == {day}
        self.look("table-one-day")

    def searches_for_a_term_and_for_nothing(
        self, export: ExportRequest, reading: ExportReading
    ) -> None:
        """A term the archive holds is found (as many rows as hold it, up to a page); one it
        does not hold says that nothing matches."""
        page = self.page
        dataset, field = words_of(reading)
        term = (
            ExportRecord.objects.filter(export_id=export.pk, dataset=dataset)
            .order_by("position")
            .values_list(f"fields__{field}", flat=True)
            .first()
        )
        assert term, f"the archive's {dataset} hold no {field}"
        holding = ExportRecord.objects.filter(
            export_id=export.pk, search_text__contains=term.lower()
        ).count()
        self.nav("Search").click()
        expect(page).to_have_url(f"{self.site}/exports/{export.pk}/explore/search/")
        search = page.locator('input[type="search"]')
        search.fill(term)
        search.press("Enter")
        expect(page).to_have_url(re.compile(r"[?&]q="))
        rows = page.locator("#records tbody tr")
        expect(rows).to_have_count(min(holding, PAGE_SIZE))
        expect(rows.filter(has_text=term)).not_to_have_count(0)
        self.look("search")

        search = page.locator('input[type="search"]')
        search.fill(NOWHERE)
        search.press("Enter")
        expect(page.locator("#no-rows")).to_have_text(self.t("Nothing matches your search."))
        expect(rows).to_have_count(0)
        self.look("search-nothing")

    def sees_nothing_to_compare(self, export: ExportRequest) -> None:
        page = self.page
        self.nav("What changed").click()
        expect(page).to_have_url(f"{self.site}/exports/{export.pk}/explore/compare/")
        expect(page.locator("#no-previous")).to_be_visible()
        self.look("compare-nothing")

    def compares_with_the_export_before(
        self, export: ExportRequest, previous: ExportRequest
    ) -> None:
        """'What changed' shows what is new since the export before (counted here from the
        records) and that TikTok wrote both archives the same way."""
        page = self.page
        self.nav("What changed").click()
        expect(page).to_have_url(f"{self.site}/exports/{export.pk}/explore/compare/")
        expect(page.locator("#since")).to_be_visible()
        expect(page.locator("#layout-changes")).to_be_visible()
        for dataset in ("watch_history", "likes", "favorite_videos", "comments", "searches"):
            dated = ExportRecord.objects.filter(dataset=dataset, occurred_at__isnull=False)
            last_before = (
                dated.filter(export_id=previous.pk)
                .order_by("-occurred_at")
                .values_list("occurred_at", flat=True)
                .first()
            )
            newer = dated.filter(export_id=export.pk)
            if last_before is not None:
                newer = newer.filter(occurred_at__gt=last_before)
            expect(page.locator(f"#since-{dataset}")).to_have_attribute(
                "data-count", str(newer.count())
            )
        expect(page.locator("#layout-changes")).to_contain_text(
            self.t("Nothing: TikTok wrote both archives the same way.")
        )
        self.look("compare")

    def shares_all_but_one_struck_row(self, export: ExportRequest, reading: ExportReading) -> None:
        """A share of one data set, with its first row left out: the zip holds every other
        record of that data set, and not that one."""
        page = self.page
        shared, field = words_of(reading)
        self.nav("Share a part").click()
        expect(page).to_have_url(f"{self.site}/exports/{export.pk}/shares/")
        self.look("share-new")
        page.get_by_label(label_of(shared), exact=True).check()
        page.get_by_role("button", name=self.t("Review what I share"), exact=True).click()
        expect(page).to_have_url(
            re.compile(rf"{re.escape(self.site)}/exports/{export.pk}/shares/[0-9a-f-]{{36}}/$")
        )
        expect(page.get_by_role("heading", level=1)).to_have_text(self.t("Review what you share"))

        first = page.locator("#records tbody tr").first
        row_id = first.get_attribute("id")
        position = int(row_id.removeprefix("row-"))
        first.get_by_role("button", name=self.t("Leave out"), exact=True).click()
        struck = page.locator(f"#{row_id}")
        expect(struck).to_have_class(re.compile(r"\bstruck\b"))
        with translation.override(self.person.language):
            one_row = translation.ngettext("%(rows)s row", "%(rows)s rows", 1) % {"rows": 1}
        expect(page.locator("#struck-count")).to_have_text(one_row)
        expect(page.locator("#records tbody tr.struck")).to_have_count(1)
        self.look("share-review")

        with page.expect_download() as downloading:
            page.locator("#download-share").click()
        with zipfile.ZipFile(downloading.value.path()) as archive:
            assert archive.namelist() == [f"{shared}.csv"]
            table = archive.read(f"{shared}.csv").decode()
        in_zip = Counter(
            (row["occurred_at"], row["raw_date"], row[field])
            for row in csv.DictReader(io.StringIO(table))
        )
        records = ExportRecord.objects.of(export.pk, shared)
        every = Counter(
            (iso_utc(record.occurred_at) or "", record.raw_date, record.fields.get(field, ""))
            for record in records
        )
        left_out = records.get(position=position)
        left_out_key = (
            iso_utc(left_out.occurred_at) or "",
            left_out.raw_date,
            left_out.fields.get(field, ""),
        )
        assert left_out_key not in in_zip, left_out_key
        assert in_zip == every - Counter([left_out_key])

    def sees_the_overview_heading_in_their_language(self, export: ExportRequest) -> None:
        english = "Your TikTok data, exported %(day)s"
        with translation.override(self.person.language):
            day = formats.date_format(
                timezone.localtime(export.created_at, self.zone), "DATE_FORMAT"
            )
        heading = self.page.get_by_role("heading", level=1)
        untranslated = [text for text in GERMAN_SAMPLES if self.t(text) == text]
        assert not untranslated, (
            f"No {self.person.language} translation for: {untranslated}; "
            f"the overview's heading reads {heading.inner_text()!r}"
        )
        expect(heading).to_have_text(self.t(english, day=day))
        expect(heading).not_to_have_text(english % {"day": day})


@pytest.fixture
def explorer_visit(tour, pipeline, site, settings):
    """Starts a visit: `explorer_visit(case, viewport, language="en")`, with the sandbox set to
    make its archives in the layout `case` of tests/exports/test_reading_every_layout.py."""

    def start(case: str, viewport: str, language: str = "en") -> tuple[ExplorerVisit, str]:
        (layout, archive_language, data_format), _found = CASES[case]
        settings.TIKTOK_SANDBOX_ARCHIVE_LAYOUT = layout
        settings.TIKTOK_SANDBOX_ARCHIVE_LANGUAGE = archive_language
        settings.TIKTOK_SANDBOX_ARCHIVE_UNKNOWN_SECTION = "on"
        person = PEOPLE[language]
        visit = tour(
            f"explorer-{case}-{language}-{viewport}",
            viewport,
            locale=person.locale,
            timezone_id=person.timezone_id,
        )
        return ExplorerVisit(person, visit, visit.open_page(), site, pipeline), data_format

    return start


RUNS: list[Any] = [
    *[pytest.param(case, "desktop", id=f"{case}-desktop") for case in LAYOUTS],
    pytest.param(COMPARED, "phone", id=f"{COMPARED}-phone"),
]


@pytest.mark.parametrize(("case", "viewport"), RUNS)
def test_a_person_explores_counts_charts_tables_search_changes_and_a_reviewed_share(
    explorer_visit, case, viewport
):
    person, data_format = explorer_visit(case, viewport)
    person.sign_in()
    export = person.ask_for_export(data_format, allowed_already=False)
    reading = person.wait_until_read(export)
    previous = None
    if case == COMPARED:
        previous = export
        export = person.ask_for_export(data_format, allowed_already=True)
        reading = person.wait_until_read(export)
    person.look("export-read")
    person.open_the_overview(export)

    person.sees_the_readings_counts_and_charts_that_agree(reading)
    person.narrows_a_table_to_one_day(export)
    person.searches_for_a_term_and_for_nothing(export, reading)
    if previous is None:
        person.sees_nothing_to_compare(export)
    else:
        person.compares_with_the_export_before(export, previous)
    person.shares_all_but_one_struck_row(export, reading)

    person.visit.assert_no_findings()


def test_a_person_whose_browser_speaks_german_sees_the_overview_in_german(explorer_visit):
    person, data_format = explorer_visit("json_gen_b", "desktop", language="de")
    person.sign_in()
    export = person.ask_for_export(data_format, allowed_already=False)
    reading = person.wait_until_read(export)
    person.open_the_overview(export)

    expect(person.page.locator("#videos-watched")).to_have_attribute(
        "data-value", str(reading.datasets["watch_history"]["count"])
    )
    person.look("overview")
    person.sees_the_overview_heading_in_their_language(export)
    person.visit.assert_no_findings()
