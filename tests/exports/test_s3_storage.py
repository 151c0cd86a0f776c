"""Archives in S3-compatible object storage, against real S3 server processes: moto (multipart
uploads, checksums) and s3rver (presigned-URL expiry really enforced)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import time
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import timezone

from exports import services
from exports.archive_store import (
    ArchiveInvalidError,
    archive_key,
    archive_storage,
    copy_archive,
)
from exports.models import ExportState
from tests.exports import factories
from tests.exports.factories import (
    authorize,
    flip_one_byte,
    make_export,
    make_ready_export,
    make_user,
    make_zip,
)
from tests.support.s3 import moto_s3, s3rver

published = factories.published

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def moto():
    with moto_s3() as server:
        yield server


@pytest.fixture
def s3(moto, settings, published):
    """The site's storage is the moto server; parts of 5 MiB (S3's smallest)."""
    settings.STORAGES = {**settings.STORAGES, "default": moto.storage_settings()}
    settings.AWS_STORAGE_BUCKET_NAME = moto.bucket
    settings.EXPORT_S3_PART_SIZE = 5 * MIB
    return moto


def chunks_of(data: bytes, size: int = MIB):
    return (data[i : i + size] for i in range(0, len(data), size))


def in_progress_uploads(server) -> list[dict]:
    return server.client().list_multipart_uploads(Bucket=server.bucket).get("Uploads", [])


def test_an_archive_streams_into_s3_in_parts_with_checksums(s3):
    archive = make_zip(13 * MIB)
    key = "exports/1/streamed.zip"

    stored = copy_archive(chunks_of(archive), key, expected_size=len(archive))

    client = s3.client()
    head = client.head_object(Bucket=s3.bucket, Key=key, ChecksumMode="ENABLED")
    assert head["ContentLength"] == len(archive) == stored.size
    assert head["ContentType"] == "application/zip"
    # Each part carried its CRC-32: S3 keeps the checksum of those checksums.
    part_crcs = [zlib.crc32(archive[i : i + 5 * MIB]) for i in range(0, len(archive), 5 * MIB)]
    composite = zlib.crc32(b"".join(crc.to_bytes(4, "big") for crc in part_crcs))
    expected = base64.b64encode(composite.to_bytes(4, "big")).decode()
    assert head["ChecksumCRC32"].split("-")[0] == expected
    assert client.head_object(Bucket=s3.bucket, Key=key, PartNumber=1)["PartsCount"] == 3
    body = client.get_object(Bucket=s3.bucket, Key=key)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == stored.sha256
    assert in_progress_uploads(s3) == []


@pytest.mark.parametrize("broken", ["cut_short", "one_flipped_byte"])
def test_a_broken_archive_leaves_no_object_and_no_upload_behind(s3, broken):
    archive = make_zip(11 * MIB)
    body = archive[:-1000] if broken == "cut_short" else flip_one_byte(archive)
    key = f"exports/1/{broken}.zip"

    with pytest.raises(ArchiveInvalidError):
        copy_archive(chunks_of(body), key)

    listing = s3.client().list_objects_v2(Bucket=s3.bucket, Prefix=key)
    assert listing.get("KeyCount", 0) == 0
    assert in_progress_uploads(s3) == []


def test_uploads_abandoned_by_a_dead_copy_are_aborted_and_live_ones_kept(s3, db):
    client = s3.client()
    owner = make_user()
    authorize(owner)
    live = make_export(
        owner,
        ExportState.FETCHING,
        lease_owner="worker",
        lease_expires_at=timezone.now() + dt.timedelta(minutes=2),
    )
    live_key = archive_key(owner.pk, live.pk)
    dead_key = archive_key(owner.pk, "0b1e5c3a-0000-4000-8000-000000000000")
    for key in (live_key, dead_key):
        client.create_multipart_upload(Bucket=s3.bucket, Key=key)

    def copy_in_progress(key: str) -> bool:
        return key == live_key

    aborted = archive_storage().abort_stale_uploads(dt.timedelta(0), copy_in_progress)

    assert aborted == 1
    assert [upload["Key"] for upload in in_progress_uploads(s3)] == [live_key]
    client.abort_multipart_upload(
        Bucket=s3.bucket, Key=live_key, UploadId=in_progress_uploads(s3)[0]["UploadId"]
    )


def test_the_owner_is_sent_to_a_short_lived_attachment_link_and_nobody_else(s3, client, db):
    owner = make_user("owner")
    authorize(owner)
    archive = make_zip(2 * MIB)
    export = make_ready_export(owner, archive)
    client.force_login(owner)

    answer = client.get(reverse("download_export", args=[export.pk]))

    assert answer.status_code == 302
    assert answer["Cache-Control"] == "no-store"
    assert answer["Referrer-Policy"] == "no-referrer"
    link = answer["Location"]
    query = parse_qs(urlsplit(link).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert query["response-content-disposition"][0].startswith("attachment;")
    fetched = requests.get(link, timeout=30)
    assert fetched.status_code == 200
    assert fetched.content == archive
    client.force_login(make_user("intruder"))
    assert client.get(reverse("download_export", args=[export.pk])).status_code == 404


def test_retention_removes_the_object_from_s3(s3, db):
    owner = make_user()
    authorize(owner)
    export = make_ready_export(owner, make_zip(MIB))
    export.retention_until = timezone.now() - dt.timedelta(minutes=1)
    export.save(update_fields=["retention_until"])

    services.delete_expired_archive(export.pk)

    export.refresh_from_db()
    assert export.state == ExportState.DELETED
    assert export.archive_deleted_at is not None
    listing = s3.client().list_objects_v2(Bucket=s3.bucket, Prefix=f"exports/{owner.pk}/")
    assert listing.get("KeyCount", 0) == 0


def test_a_download_link_stops_working_when_it_expires(settings, tmp_path):
    with s3rver(tmp_path / "s3rver") as server:
        settings.STORAGES = {**settings.STORAGES, "default": server.storage_settings()}
        storage = storages["default"]
        storage.save("exports/1/expiring.zip", ContentFile(b"PK\x05\x06" + bytes(18)))

        link = storage.url("exports/1/expiring.zip", expire=1)
        assert requests.get(link, timeout=10).status_code == 200
        time.sleep(2.5)
        expired = requests.get(link, timeout=10)

    assert expired.status_code == 403
    assert "expired" in expired.text.lower()
