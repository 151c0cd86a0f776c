"""Deleting an account leaves nothing of the person in storage, whenever it happens during the
copy of their archive: just after the copy is committed (an S3 multipart upload completed, a
file renamed into place), just before, or while its bytes are still arriving. And a deleted
account's folder goes with its archives in file storage.

The copy runs in-process (services.fetch_archive, as its task calls it) against TikTok faked at
the HTTP seam; S3 is a real S3 server process (moto). The deletion comes in as a web request's
would: committed at once, through whichever thread and database connection it is made from.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

from exports import services
from exports.archive_store import KEY_PREFIX, FileSink, S3MultipartSink, archive_key
from exports.models import ExportRequest, ExportState
from tests.exports import factories
from tests.exports.factories import (
    DOWNLOAD_URL,
    MIB,
    authorize,
    make_export,
    make_ready_export,
    make_user,
    make_zip,
)
from tests.exports.test_leaving import rows_pointing_at
from tests.support.s3 import S3Server, moto_s3

# The deletion is committed as it happens, and is made from the copy's writer thread too.
pytestmark = pytest.mark.django_db(transaction=True)

tiktok_at_real_urls = factories.tiktok_at_real_urls
archive_dirs = factories.archive_dirs
published = factories.published

PART_SIZE = 5 * MIB  # S3's smallest part
ARCHIVE_SIZE = 12 * MIB  # three parts, twelve chunks of TikTok's download

# When the account is deleted, as (the sink's method it is hooked on, before or after the
# method itself runs).
MOMENTS = {
    "right_after_the_copy_is_committed": ("commit", "after"),
    "right_before_the_copy_is_committed": ("commit", "before"),
    "while_the_copy_is_being_written": ("write", "before"),
}


@pytest.fixture(scope="module")
def moto() -> Iterator[S3Server]:
    with moto_s3() as server:
        yield server


@pytest.fixture
def s3(moto, settings) -> S3Server:
    """The site's storage is the moto server's bucket, empty."""
    settings.STORAGES = {**settings.STORAGES, "default": moto.storage_settings()}
    settings.AWS_STORAGE_BUCKET_NAME = moto.bucket
    settings.EXPORT_S3_PART_SIZE = PART_SIZE
    empty_bucket(moto)
    return moto


@pytest.fixture
def person(db) -> AbstractBaseUser:
    user = make_user("ana")
    authorize(user)
    return user


def empty_bucket(server: S3Server) -> None:
    client = server.client()
    for upload in client.list_multipart_uploads(Bucket=server.bucket).get("Uploads", []):
        client.abort_multipart_upload(
            Bucket=server.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
        )
    for item in client.list_objects_v2(Bucket=server.bucket).get("Contents", []):
        client.delete_object(Bucket=server.bucket, Key=item["Key"])


def objects_under_exports(server: S3Server) -> list[str]:
    listing = server.client().list_objects_v2(Bucket=server.bucket, Prefix=KEY_PREFIX)
    return [item["Key"] for item in listing.get("Contents", [])]


def uploads_under(server: S3Server, key: str) -> list[str]:
    listing = server.client().list_multipart_uploads(Bucket=server.bucket, Prefix=key)
    return [upload["UploadId"] for upload in listing.get("Uploads", [])]


def entries_below_exports(media: Path) -> list[Path]:
    folder = media / "exports"
    return sorted(folder.rglob("*")) if folder.exists() else []


def tiktok_serves(archive: bytes) -> None:
    responses.post(
        DOWNLOAD_URL,
        body=archive,
        content_type="application/zip",
        headers={"Content-Length": str(len(archive))},
    )


def delete_account_at(
    monkeypatch: pytest.MonkeyPatch,
    sink_class: type,
    moment: str,
    user: AbstractBaseUser,
    seen: Callable[[Any], object] = lambda sink: None,
) -> list[object]:
    """Hooks the deletion of `user`'s account on the sink's method at `moment` (MOMENTS),
    once. Returns what `seen(sink)` found just before the deletion, once it has happened."""
    method_name, when = MOMENTS[moment]
    real = getattr(sink_class, method_name)
    deletions: list[object] = []

    def delete_once(sink: Any) -> None:
        if deletions:
            return
        deletions.append(seen(sink))
        try:
            services.delete_account(user)
        finally:
            if threading.current_thread() is not threading.main_thread():
                connection.close()  # the copy's writer thread's own connection

    def hooked(sink: Any, *args: Any) -> None:
        if when == "before":
            delete_once(sink)
        real(sink, *args)
        if when == "after":
            delete_once(sink)

    monkeypatch.setattr(sink_class, method_name, hooked)
    return deletions


def assert_no_row_of(user_id: int, export_id: object) -> None:
    assert not get_user_model().objects.filter(pk=user_id).exists()
    assert not ExportRequest.objects.filter(pk=export_id).exists()
    assert rows_pointing_at(user_id) == []


@pytest.mark.parametrize("moment", MOMENTS.keys())
@pytest.mark.usefixtures("tiktok_at_real_urls", "published")
@responses.activate
def test_deleting_the_account_at_any_moment_of_a_copy_into_s3_leaves_nothing_in_the_bucket(
    s3, person, monkeypatch, moment
):
    export = make_export(person, ExportState.FETCHING)
    user_id, key = person.pk, archive_key(person.pk, export.pk)
    tiktok_serves(make_zip(ARCHIVE_SIZE))

    def stored_and_uploading(sink: S3MultipartSink) -> tuple[bool, bool]:
        return key in objects_under_exports(s3), sink.upload_id in uploads_under(s3, key)

    deletions = delete_account_at(
        monkeypatch, S3MultipartSink, moment, person, stored_and_uploading
    )

    services.fetch_archive(export.pk)

    # The deletion came when the moment says: the archive in the bucket, or its upload open.
    assert deletions == [(True, False) if moment.startswith("right_after") else (False, True)]
    assert objects_under_exports(s3) == []
    assert uploads_under(s3, key) == []
    assert_no_row_of(user_id, export.pk)


@pytest.mark.parametrize("moment", MOMENTS.keys())
@pytest.mark.usefixtures("tiktok_at_real_urls", "published")
@responses.activate
def test_deleting_the_account_at_any_moment_of_a_copy_into_files_leaves_no_file_or_folder(
    archive_dirs, person, monkeypatch, moment
):
    media, _ = archive_dirs
    export = make_export(person, ExportState.FETCHING)
    user_id = person.pk
    final = media / archive_key(person.pk, export.pk)
    tiktok_serves(make_zip(ARCHIVE_SIZE))

    def stored_and_partial(sink: FileSink) -> tuple[bool, bool]:
        return final.exists(), sink.partial.exists()

    deletions = delete_account_at(monkeypatch, FileSink, moment, person, stored_and_partial)

    services.fetch_archive(export.pk)

    assert deletions == [(True, False) if moment.startswith("right_after") else (False, True)]
    assert entries_below_exports(media) == []
    assert not (media / "exports" / str(user_id)).exists()
    assert_no_row_of(user_id, export.pk)


@pytest.mark.usefixtures("published")
def test_deleting_an_account_removes_its_archive_folder_and_keeps_another_persons(
    archive_dirs, person
):
    media, _ = archive_dirs
    make_ready_export(person, b"ana's first archive", tiktok_request_id=1)
    make_ready_export(person, b"ana's second archive", tiktok_request_id=2)
    other = make_user("bea")
    authorize(other, open_id="open-bea")
    kept = make_ready_export(other, b"bea's archive", tiktok_request_id=3)
    folder = media / "exports" / str(person.pk)
    assert len(list(folder.iterdir())) == 2

    services.delete_account(person)

    assert not folder.exists()
    assert sorted(p.relative_to(media) for p in (media / "exports").iterdir()) == [
        Path("exports", str(other.pk))
    ]
    assert (media / kept.archive_key).read_bytes() == b"bea's archive"
    assert ExportRequest.objects.filter(pk=kept.pk, state=ExportState.READY).exists()
