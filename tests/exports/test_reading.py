"""Reading a stored archive into records (exports.services.reading): the step after the copy.
The archive is in the site's real file storage, the records in PostgreSQL; the task's service is
called as the worker calls it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

import pytest
from django.utils import timezone

from exports import services
from exports.datasets import ExportReading, ExportRecord, ExportSection, ReadingState
from exports.services import reading as reading_service
from tests.exports import factories
from tests.exports.factories import make_ready_export, make_user

archive_dirs = factories.archive_dirs
published = factories.published

WATCHED = [
    {"Date": f"2024-11-{day:02d} 10:11:12", "Link": f"https://www.tiktokv.com/share/video/{day}/"}
    for day in range(1, 29)
]
DOCUMENT = {
    "Your Activity": {
        "Watch History": {"VideoList": WATCHED},
        "Searches": {"SearchList": [{"Date": "2024-10-01 08:00:00", "SearchTerm": "sourdough"}]},
        "Mystery Feature": {
            "MysteryList": [{"Date": "2024-01-01 00:00:00", "Mystery": n} for n in range(4)]
        },
        "Login History": {"LoginHistoryList": None},
    },
    "Likes and Favorites": {
        "Like List": {"ItemFavoriteList": [{"date": "2024-09-09 09:09:09", "link": "https://l/1"}]}
    },
    "Profile And Settings": {
        "Following": {"Following": [{"Date": "2023-01-01 00:00:00", "UserName": "jonas.bakes"}]},
        "Profile Info": {"ProfileMap": {"userName": "lucia.dances", "bioDescription": "Flamenco"}},
    },
    "Direct Message": {
        "Direct Messages": {
            "ChatHistory": {
                "Chat History with amara.reads:": [
                    {"Date": "2024-05-01 12:00:00", "From": "amara.reads", "Content": "hola"},
                    {"Date": "2024-05-01 12:01:00", "From": "lucia.dances", "Content": "¿qué tal?"},
                ]
            }
        }
    },
}


def json_archive(document: dict = DOCUMENT) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("user_data_tiktok.json", json.dumps(document, indent=2))
    return buffer.getvalue()


@pytest.fixture
def person(db):
    return make_user("lucia")


@pytest.fixture
def stored(person, archive_dirs):
    export = make_ready_export(person, json_archive())
    ExportReading.objects.create(export=export, next_step_at=timezone.now())
    return export


def test_reading_a_stored_archive_keeps_every_record_with_its_source_and_dates(stored):
    services.read_export(stored.pk)

    reading = ExportReading.objects.get(export=stored)
    assert reading.state == ReadingState.DONE
    assert reading.layout() == {"format": "json", "generation": "C", "language": "en"}
    assert reading.datasets["watch_history"] == {
        "count": 28,
        "first": "2024-11-01T10:11:12Z",
        "last": "2024-11-28T10:11:12Z",
    }
    assert reading.datasets["direct_messages"]["count"] == 2
    first = ExportRecord.objects.of(stored.pk, "watch_history").first()
    assert first.raw_date == "2024-11-01 10:11:12"
    assert first.occurred_at == dt.datetime(2024, 11, 1, 10, 11, 12, tzinfo=dt.UTC)
    assert first.fields == {"link": "https://www.tiktokv.com/share/video/1/"}
    assert ExportSection.objects.get(pk=first.section_id).path == (
        "Your Activity › Watch History › VideoList"
    )
    message = ExportRecord.objects.of(stored.pk, "direct_messages").last()
    assert message.fields == {
        "conversation": "amara.reads",
        "sender": "lucia.dances",
        "text": "¿qué tal?",
    }


def test_an_unknown_section_is_listed_with_its_items_and_logged(stored, caplog):
    services.read_export(stored.pk)

    reading = ExportReading.objects.get(export=stored)
    assert reading.unrecognized == [
        {"path": "Your Activity › Mystery Feature › MysteryList", "items": 4}
    ]
    assert "Mystery Feature" in caplog.text
    assert ExportSection.objects.get(export=stored, path__contains="Mystery").dataset == ""


def test_reading_twice_stores_each_record_once(stored):
    services.read_export(stored.pk)
    ExportReading.objects.filter(export=stored).update(
        state=ReadingState.PENDING, next_step_at=timezone.now()
    )
    services.read_export(stored.pk)

    # A reading run again goes on from its checkpoint: nothing is stored twice.
    assert ExportRecord.objects.filter(export=stored).count() == 34
    positions = list(ExportRecord.objects.filter(export=stored).values_list("position", flat=True))
    assert len(positions) == len(set(positions))


def test_a_reading_killed_midway_is_taken_up_where_its_last_checkpoint_left_it(stored, monkeypatch):
    monkeypatch.setattr(reading_service, "BATCH", 10)
    flushes = []
    original = reading_service._RecordWriter.flush

    def die_after_two_checkpoints(writer):
        if len(flushes) == 2:
            raise SystemExit("kill -9")
        flushes.append(writer.done)
        original(writer)

    monkeypatch.setattr(reading_service._RecordWriter, "flush", die_after_two_checkpoints)
    with pytest.raises(SystemExit):
        services.read_export(stored.pk)
    assert ExportRecord.objects.filter(export=stored).count() == 20
    assert ExportReading.objects.get(export=stored).state == ReadingState.READING

    monkeypatch.setattr(reading_service._RecordWriter, "flush", original)
    services.read_export(stored.pk)  # the lease has not lapsed: not taken from the living
    assert ExportRecord.objects.filter(export=stored).count() == 20
    ExportReading.objects.filter(export=stored).update(
        lease_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert services.sweep()["read_export_task"] == 1
    services.read_export(stored.pk)

    reading = ExportReading.objects.get(export=stored)
    assert reading.state == ReadingState.DONE
    assert reading.records_done == 34
    positions = list(ExportRecord.objects.filter(export=stored).values_list("position", flat=True))
    assert sorted(positions) == list(range(34))


def test_an_archive_that_cannot_be_read_stays_downloadable_and_says_so(person, archive_dirs):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("user_data_tiktok.json", '{"Your Activity": {"Watch History": [')
    export = make_ready_export(person, buffer.getvalue())
    ExportReading.objects.create(export=export, next_step_at=timezone.now())

    services.read_export(export.pk)

    reading = ExportReading.objects.get(export=export)
    assert reading.state == ReadingState.FAILED
    assert reading.failure_code == "broken_json"
    assert not ExportRecord.objects.filter(export=export).exists()
    export.refresh_from_db()
    assert export.can_be_downloaded


def test_the_summary_is_its_owners_alone(stored, client, person):
    services.read_export(stored.pk)
    url = f"/exports/{stored.pk}/summary.json"

    assert client.get(url).status_code == 302  # signed out: to sign in
    client.force_login(make_user("someone-else"))
    assert client.get(url).status_code == 404
    client.force_login(person)
    summary = client.get(url).json()

    assert summary["layout"] == {"format": "json", "generation": "C", "language": "en"}
    assert summary["datasets"]["watch_history"]["count"] == 28
    assert summary["datasets"]["direct_messages"]["count"] == 2
    assert "logins" not in summary["datasets"]
    assert summary["unrecognized"] == [
        {"path": "Your Activity › Mystery Feature › MysteryList", "items": 4}
    ]


def test_every_data_set_downloads_as_csv_and_json_and_all_as_one_zip(stored, client, person):
    services.read_export(stored.pk)
    client.force_login(person)

    as_csv = client.get(f"/exports/{stored.pk}/data/watch_history.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(as_csv.streaming_content).decode())))
    as_json = json.loads(
        b"".join(client.get(f"/exports/{stored.pk}/data/following.json").streaming_content)
    )
    tables = client.get(f"/exports/{stored.pk}/tables.zip")
    with zipfile.ZipFile(io.BytesIO(b"".join(tables.streaming_content))) as archive:
        names = sorted(archive.namelist())
        followed = archive.read("following.csv").decode()

    assert as_csv["Content-Type"].startswith("text/csv")
    assert len(rows) == 28
    assert rows[0]["occurred_at"] == "2024-11-01T10:11:12Z"
    assert rows[0]["link"] == "https://www.tiktokv.com/share/video/1/"
    assert rows[0]["source"] == "Your Activity › Watch History › VideoList"
    assert as_json == [
        {
            "occurred_at": "2023-01-01T00:00:00Z",
            "raw_date": "2023-01-01 00:00:00",
            "source": "Profile And Settings › Following › Following",
            "username": "jonas.bakes",
        }
    ]
    assert names == [
        "direct_messages.csv", "following.csv", "likes.csv", "profile.csv", "searches.csv",
        "watch_history.csv",
    ]  # fmt: skip
    assert "jonas.bakes" in followed
    assert client.get(f"/exports/{stored.pk}/data/nonsense.csv").status_code == 404
    client.force_login(make_user("someone-else"))
    assert client.get(f"/exports/{stored.pk}/data/watch_history.csv").status_code == 404


def test_the_export_page_shows_the_reading_and_what_it_could_not_read(stored, client, person):
    client.force_login(person)
    page = client.get(f"/exports/{stored.pk}/").content.decode()
    assert "We are reading your data" in page
    assert "hx-trigger" in page

    services.read_export(stored.pk)
    page = client.get(f"/exports/{stored.pk}/").content.decode()

    assert "Watch history" in page
    assert "Some of your data is in a form we do not read yet" in page
    assert "Your Activity › Mystery Feature › MysteryList" in page
    assert "hx-trigger" not in page
