"""Stored archives are kept for a while, then deleted: the owner is reminded first, may delete
one sooner, and nothing is left behind."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from exports import services, taskqueue
from exports.models import EmailKind, ExportState
from tests.exports import factories
from tests.exports.factories import authorize, email_of, make_ready_export, make_user, make_zip

archive_dirs = factories.archive_dirs
published = factories.published

ARCHIVE = make_zip(2000)


@pytest.fixture(autouse=True)
def _isolated(archive_dirs, published):
    """Archives under this test's directory; nothing reaches a broker."""


@pytest.fixture
def owner(db):
    person = make_user("owner")
    authorize(person)
    EmailAddress.objects.create(user=person, email="owner@example.org", verified=True, primary=True)
    return person


def ready_export(owner, *, retention_in: dt.timedelta):
    export = make_ready_export(owner, ARCHIVE)
    export.retention_until = timezone.now() + retention_in
    export.save(update_fields=["retention_until"])
    return export


def test_the_sweep_reminds_once_before_deletion_and_the_owner_gets_one_email(
    owner, published, mailoutbox
):
    export = ready_export(owner, retention_in=dt.timedelta(hours=12))
    later = make_ready_export(make_user("other"), ARCHIVE, tiktok_request_id=2**60 + 1)

    services.sweep_exports()
    services.remind_before_deletion(export.pk)
    services.remind_before_deletion(export.pk)

    assert (taskqueue.REMIND, str(export.pk)) in published.pairs()
    assert (taskqueue.REMIND, str(later.pk)) not in published.pairs()
    assert len(mailoutbox) == 1
    assert "will be deleted soon" in mailoutbox[0].subject
    assert "/exports/link/" in mailoutbox[0].body
    export.refresh_from_db()
    assert email_of(export, EmailKind.REMINDER).sent_at is not None


def test_without_a_verified_address_the_dashboard_is_the_reminder(client, db, mailoutbox):
    person = make_user("quiet")
    authorize(person)
    export = ready_export(person, retention_in=dt.timedelta(hours=3))
    client.force_login(person)

    services.remind_before_deletion(export.pk)
    page = client.get(reverse("dashboard")).content.decode()

    assert mailoutbox == []
    assert "Deleted soon: download it now" in page


def test_an_archive_past_its_retention_is_deleted_and_the_row_says_so(owner, client, published):
    export = ready_export(owner, retention_in=-dt.timedelta(minutes=1))
    key = export.archive_key

    services.sweep_exports()
    services.delete_expired_archive(export.pk)
    services.delete_expired_archive(export.pk)

    assert (taskqueue.DELETE, str(export.pk)) in published.pairs()
    export.refresh_from_db()
    assert export.state == ExportState.DELETED
    assert export.archive_key == ""
    assert export.archive_deleted_at is not None
    assert not default_storage.exists(key)
    client.force_login(owner)
    assert client.get(reverse("download_export", args=[export.pk])).status_code == 404
    assert (
        "The stored archive was deleted."
        in client.get(reverse("export_detail", args=[export.pk])).content.decode()
    )


def test_an_archive_within_its_retention_is_not_deleted(owner):
    export = ready_export(owner, retention_in=dt.timedelta(days=2))

    services.delete_expired_archive(export.pk)

    export.refresh_from_db()
    assert export.state == ExportState.READY
    assert default_storage.exists(export.archive_key)


def test_a_deletion_that_fails_in_storage_is_finished_by_the_next_sweep(
    owner, published, monkeypatch
):
    export = ready_export(owner, retention_in=-dt.timedelta(minutes=1))
    key = export.archive_key

    def storage_down(self: object, key: str) -> None:
        raise OSError("storage unreachable")

    with monkeypatch.context() as patched:
        patched.setattr("exports.archive_store.FileArchiveStorage.delete", storage_down)
        with pytest.raises(OSError, match="unreachable"):
            services.delete_expired_archive(export.pk)
    export.refresh_from_db()
    assert export.state == ExportState.DELETED
    assert export.archive_deleted_at is None
    published.clear()

    services.sweep_exports()
    services.delete_expired_archive(export.pk)

    assert (taskqueue.DELETE, str(export.pk)) in published.pairs()
    export.refresh_from_db()
    assert export.archive_deleted_at is not None
    assert not default_storage.exists(key)


def test_the_owner_deletes_an_archive_early(owner, client):
    export = ready_export(owner, retention_in=dt.timedelta(days=6))
    client.force_login(owner)

    answer = client.post(reverse("delete_export", args=[export.pk]), follow=True)

    assert "The archive was deleted." in answer.content.decode()
    export.refresh_from_db()
    assert export.state == ExportState.DELETED
    assert not default_storage.exists(f"exports/{owner.pk}/{export.pk}.zip")


def test_nobody_else_can_delete_an_archive(owner, client):
    export = ready_export(owner, retention_in=dt.timedelta(days=6))
    client.force_login(make_user("intruder"))

    answer = client.post(reverse("delete_export", args=[export.pk]))

    assert answer.status_code == 404
    export.refresh_from_db()
    assert export.state == ExportState.READY
    assert default_storage.exists(export.archive_key)
