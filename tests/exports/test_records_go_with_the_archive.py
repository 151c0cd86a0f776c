"""What the site read out of an archive goes with the archive, by every route an archive goes
by: its retention ending, its owner deleting it now, the owner deleting their account, and an
export ending while its archive was being copied (as disconnecting does to one under way).
Disconnecting keeps stored archives, and so their records, until their retention ends."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from exports import services
from exports.datasets import ExportReading, ExportRecord, ExportSection
from exports.models import ExportRequest, ExportState
from tests.exports import factories
from tests.exports.factories import authorize, make_ready_export, make_user
from tests.exports.test_reading import json_archive

archive_dirs = factories.archive_dirs
published = factories.published
tiktok_at_real_urls = factories.tiktok_at_real_urls


@pytest.fixture
def person(db):
    user = make_user("lucia")
    authorize(user)
    return user


def read_archive_of(person, **fields) -> ExportRequest:
    export = make_ready_export(person, json_archive(), **fields)
    ExportReading.objects.create(export=export, next_step_at=timezone.now())
    services.read_export(export.pk)
    assert ExportRecord.objects.filter(export=export).count() == 34
    return export


def nothing_read_left(export_id) -> bool:
    tables = ("exports_exportrecord", "exports_exportsection", "exports_exportreading")
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table} WHERE export_id = %s", [export_id])  # noqa: S608
            if cursor.fetchone()[0]:
                return False
    return True


def test_deleting_an_archive_now_deletes_its_records(person, archive_dirs):
    export = read_archive_of(person)

    services.delete_export_archive(person, export.pk)

    assert nothing_read_left(export.pk)


def test_an_archive_past_its_retention_goes_with_its_records(person, archive_dirs):
    export = read_archive_of(person)
    ExportRequest.objects.filter(pk=export.pk).update(
        retention_until=timezone.now() - dt.timedelta(seconds=1)
    )

    services.delete_expired_archive(export.pk)

    assert ExportRequest.objects.get(pk=export.pk).state == ExportState.DELETED
    assert nothing_read_left(export.pk)


def test_deleting_the_account_deletes_the_records_of_every_archive(
    person, archive_dirs, tiktok_at_real_urls, django_capture_on_commit_callbacks
):
    first = read_archive_of(person)
    second = read_archive_of(person, tiktok_request_id=7234567890123456790, scope="other")

    with django_capture_on_commit_callbacks(execute=False):
        services.delete_account(person)

    assert nothing_read_left(first.pk)
    assert nothing_read_left(second.pk)


def test_disconnecting_keeps_a_stored_archive_and_its_records_until_its_retention_ends(
    person, archive_dirs, tiktok_at_real_urls, django_capture_on_commit_callbacks
):
    export = read_archive_of(person)

    with django_capture_on_commit_callbacks(execute=False):
        services.disconnect_tiktok(person)

    assert ExportRecord.objects.filter(export=export).count() == 34
    ExportRequest.objects.filter(pk=export.pk).update(
        retention_until=timezone.now() - dt.timedelta(seconds=1)
    )
    services.delete_expired_archive(export.pk)
    assert nothing_read_left(export.pk)


def test_an_export_that_ended_during_its_copy_leaves_nothing_read(person, archive_dirs):
    export = read_archive_of(person)
    # As if it had been cancelled (disconnecting does this) while the copy was committing.
    ExportRequest.objects.filter(pk=export.pk).update(
        state=ExportState.CANCELLED, tiktok_ready_at=timezone.now()
    )

    services.delete_expired_archive(export.pk)

    assert nothing_read_left(export.pk)


def test_a_reading_under_way_when_its_archive_is_deleted_stores_nothing_more(
    person, archive_dirs, monkeypatch
):
    from exports.services import reading as reading_service  # noqa: PLC0415

    export = make_ready_export(person, json_archive())
    ExportReading.objects.create(export=export, next_step_at=timezone.now())
    monkeypatch.setattr(reading_service, "BATCH", 10)
    original = reading_service._RecordWriter.flush
    calls = []

    def delete_during_the_second_batch(writer):
        calls.append(1)
        if len(calls) == 2:
            services.delete_export_archive(person, export.pk)
        original(writer)

    monkeypatch.setattr(reading_service._RecordWriter, "flush", delete_during_the_second_batch)
    services.read_export(export.pk)

    assert nothing_read_left(export.pk)
    assert not ExportSection.objects.filter(export_id=export.pk).exists()
