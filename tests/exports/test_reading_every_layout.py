"""Every layout TikTok has used, end to end, the way it runs in production: the sandbox makes
the archive in that layout, a real Celery worker copies it into storage and reads it, and the
person gets its summary and its extracts over HTTP.

What the site read is checked against the downloaded archive itself, counted with plain `json`
and plain line splitting (not the site's reader)."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile

import pytest

from exports.datasets import ExportReading, ReadingState
from exports.models import ExportRequest, ExportState
from tests.exports.conftest import sign_in
from tests.exports.test_pipeline_end_to_end import ask_for_export, pipeline, wait_for, worker

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["pipeline", "worker"]

MYSTERY = {"json": "Mystery Feature › MysteryList", "en": "Mystery Feature", "nl": "Mysterie"}
# (layout setting, language setting, data format) -> (generation, language the site finds,
# where the watch history is in the archive)
WATCH_B_C = ("Your Activity", "Watch History", "VideoList")
CASES = {
    "json_gen_a": (("gen_a", "", "json"), ("A", "en", ("Activity", "Video Browsing History", "VideoList"))),  # noqa: E501
    "json_gen_b": (("gen_b", "", "json"), ("B", "en", WATCH_B_C)),
    "json_gen_c": (("gen_c", "", "json"), ("C", "en", WATCH_B_C)),
    "json_doubled": (("gen_c_doubled", "", "json"), ("C", "en", WATCH_B_C)),
    "text_english_2024": (("gen_b", "en", "text"), ("B", "en", "TikTok/Activity/Browsing History.txt")),  # noqa: E501
    "text_english_2026": (("gen_c", "en", "text"), ("C", "en", "TikTok/Your Activity/Watch History.txt")),  # noqa: E501
    "text_dutch": (("gen_c", "nl", "text"), ("C", "nl", "TikTok/Je activiteit/Kijkgeschiedenis.txt")),  # noqa: E501
}  # fmt: skip


def wait_for_reading(export_id, log) -> ExportReading:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        reading = ExportReading.objects.filter(export_id=export_id).first()
        if reading and reading.state in (ReadingState.DONE, ReadingState.FAILED):
            return reading
        time.sleep(0.2)
    raise AssertionError(f"reading stuck; worker log:\n{log.read_text()[-4000:]}")


def watched_in(archive: bytes, where) -> int:
    """How many watch-history items the archive holds, counted without the site's reader."""
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        if isinstance(where, tuple):
            raw = opened.read("user_data_tiktok.json").decode()
            document, _end = json.JSONDecoder().raw_decode(raw)  # the first value of a double
            for key in where:
                document = document[key]
            return len(document)
        text = opened.read(where).decode("utf-8-sig")
    blocks = [block for block in text.split("\n\n") if ":" in block]
    return len(blocks)


@pytest.mark.parametrize("case", list(CASES))
def test_every_layout_is_copied_read_summarised_and_extracted(
    pipeline, browser, site, settings, case
):
    (layout, language, data_format), (generation, found_language, where) = CASES[case]
    settings.TIKTOK_SANDBOX_ARCHIVE_LAYOUT = layout
    settings.TIKTOK_SANDBOX_ARCHIVE_LANGUAGE = language
    settings.TIKTOK_SANDBOX_ARCHIVE_UNKNOWN_SECTION = "on"
    sign_in(browser, site, kinds=["activity"], frequency="ongoing")
    ask_for_export(browser, site, ["activity"], data_format)
    export = wait_for(
        ExportRequest.objects.get().pk, lambda e: e.state == ExportState.READY, pipeline.log
    )
    archive = browser.session.get(f"{site}/exports/{export.pk}/download/", timeout=30).content

    reading = wait_for_reading(export.pk, pipeline.log)
    summary = browser.session.get(f"{site}/exports/{export.pk}/summary.json", timeout=30).json()
    table = browser.session.get(f"{site}/exports/{export.pk}/data/watch_history.csv", timeout=30)
    rows = list(csv.DictReader(io.StringIO(table.content.decode())))
    page = browser.get(f"{site}/exports/{export.pk}/").text

    assert reading.state == ReadingState.DONE, reading.failure_detail
    assert summary["layout"] == {
        "format": data_format,
        "generation": generation,
        "language": found_language,
    }
    watched = watched_in(archive, where)
    assert watched > 0
    assert summary["datasets"]["watch_history"]["count"] == watched
    assert len(rows) == watched
    assert all(row["occurred_at"].endswith("Z") and row["link"] for row in rows)
    assert summary["datasets"]["watch_history"]["first"] <= rows[0]["occurred_at"]
    mystery = MYSTERY["json" if data_format == "json" else found_language]
    assert [(u["path"].endswith(mystery), u["items"]) for u in summary["unrecognized"]] == [
        (True, 4)
    ]
    assert "Some of your data is in a form we do not read yet" in page
    assert "Watch history" in page


def test_a_json_export_of_every_category_is_read_into_every_data_set_it_holds(
    pipeline, browser, site, settings
):
    settings.TIKTOK_SANDBOX_ARCHIVE_LAYOUT = "gen_c"
    settings.TIKTOK_SANDBOX_ARCHIVE_UNKNOWN_SECTION = "off"
    sign_in(browser, site, kinds=["all"], frequency="ongoing")
    ask_for_export(browser, site, ["all"])
    export = wait_for(
        ExportRequest.objects.get().pk, lambda e: e.state == ExportState.READY, pipeline.log
    )

    wait_for_reading(export.pk, pipeline.log)
    summary = browser.session.get(f"{site}/exports/{export.pk}/summary.json", timeout=30).json()
    tables = browser.session.get(f"{site}/exports/{export.pk}/tables.zip", timeout=30)

    expected = {
        "watch_history", "likes", "favorite_videos", "followers", "following", "searches",
        "shares", "logins", "comments", "direct_messages", "posts", "live_watched", "profile",
    }  # fmt: skip
    assert expected <= set(summary["datasets"])
    assert summary["unrecognized"] == []
    with zipfile.ZipFile(io.BytesIO(tables.content)) as opened:
        names = {name.removesuffix(".csv") for name in opened.namelist()}
    assert names == set(summary["datasets"])
