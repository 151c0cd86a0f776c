"""Archives on their way from TikTok into the site's storage.

One pass over the stream: every chunk is hashed (SHA-256), checked as part of a zip (CRC-32 of
every member, then the central directory and end records) and written to its destination, so
memory stays bounded whatever the archive's size. Receiving and checking run in the caller's
thread, hashing and writing in one of their own (see BackgroundWriter). The destination makes
the archive visible under its key only once the whole of it has been checked: a file is renamed
into place, an S3 multipart upload is completed; otherwise it is removed or aborted. The key
depends on the export alone, so a second attempt replaces rather than duplicates.

Where archives live (files under MEDIA_ROOT, or an S3 bucket) is one object, ArchiveStorage,
chosen once from the configured default storage (archive_storage()): it opens the sink a copy
writes into, deletes an archive with whatever a cut-short copy left of it, aborts uploads no
copy works on any more, and answers a download. Nothing outside this module asks which kind
of storage it is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import io
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from exports import downloads
from exports.s3_ranges import RangedS3Object
from exports.zipcheck import ArchiveInvalidError, ZipStreamVerifier

if TYPE_CHECKING:
    from exports.models import ExportRequest

logger = logging.getLogger(__name__)

__all__ = [
    "ArchiveInvalidError",
    "ArchiveStorage",
    "StoredArchive",
    "archive_key",
    "archive_storage",
    "copy_archive",
]

KEY_PREFIX = "exports/"
# Chunks received but not yet hashed and written: with TikTok's stream read in 1 MiB chunks, a
# few MiB of memory at most, and enough to ride out a slow write without stalling the receiver.
WRITE_QUEUE_CHUNKS = 4


@dataclass(frozen=True)
class StoredArchive:
    key: str
    size: int
    sha256: str
    entries: int


class ArchiveSink(Protocol):
    """Where an archive's bytes go while they arrive."""

    def write(self, chunk: bytes) -> None: ...
    def commit(self) -> None: ...
    def abort(self) -> None: ...


def archive_key(user_id: int, export_id: object) -> str:
    return f"{KEY_PREFIX}{user_id}/{export_id}.zip"


def copy_archive(
    chunks: Iterable[bytes],
    key: str,
    *,
    expected_size: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> StoredArchive:
    """Copies an archive stream into storage under `key`, checked and hashed on the way.

    `on_progress(bytes so far)` is called after every chunk (and may raise to stop the copy).
    Returns what was stored. Raises ArchiveInvalidError for anything but a complete, intact
    zip of `expected_size` bytes (when given); whatever it raises, nothing is left under `key`
    or half-written beside it.
    """
    sink = archive_storage().open_sink(key)
    verifier = ZipStreamVerifier()
    writer = BackgroundWriter(sink)
    size = 0
    try:
        for chunk in chunks:
            verifier.feed(chunk)
            writer.put(chunk)
            size += len(chunk)
            if on_progress is not None:
                on_progress(size)
        sha256 = writer.finish()
        if expected_size is not None and size != expected_size:
            raise ArchiveInvalidError(f"received {size} of {expected_size} bytes")
        entries = verifier.finish()
        sink.commit()
    except BaseException:
        writer.stop()
        sink.abort()
        raise
    return StoredArchive(key, size, sha256, entries)


class BackgroundWriter:
    """Hashes chunks and writes them to a sink in a thread of its own, behind a queue of at
    most WRITE_QUEUE_CHUNKS chunks.

    Why a thread: socket reads, zlib (the zip check's CRC-32 and inflation), SHA-256 of large
    buffers and file or socket writes all release the GIL, so on two cores receiving and
    checking overlap with hashing and writing, and a copy takes about as long as the slower
    half instead of the sum of both. Only this thread touches the sink until `finish` or `stop`
    has returned; the caller then commits or aborts it.
    """

    def __init__(self, sink: ArchiveSink) -> None:
        self.sink = sink
        self.digest = hashlib.sha256()
        self.error: BaseException | None = None
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=WRITE_QUEUE_CHUNKS)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="archive-writer", daemon=True)
        self._thread.start()

    def put(self, chunk: bytes) -> None:
        """Queues a chunk, waiting while the queue is full. Raises what the writer raised."""
        if self.error is not None:
            raise self.error
        self._chunks.put(chunk)

    def finish(self) -> str:
        """Waits until every queued chunk is written; returns the SHA-256 of all of them, in
        hex. Raises what the writer raised."""
        self._chunks.put(None)
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.digest.hexdigest()

    def stop(self) -> None:
        """Ends the thread, dropping what is still queued. Safe after `finish`."""
        self._stopping.set()
        if self._thread.is_alive():
            self._chunks.put(None)
            self._thread.join()

    def _run(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            if self.error is not None or self._stopping.is_set():
                continue  # keep taking chunks, so the caller never waits on a full queue
            try:
                self.digest.update(chunk)
                self.sink.write(chunk)
            except BaseException as error:  # handed to the caller's thread, raised there
                self.error = error


class FileSink:
    """A file beside its final path, renamed into place when complete. The partial name is
    fixed per key, so an attempt cut short by a crash is overwritten by the next one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = partial_path(path)
        self.partial.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.partial.open("wb")

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)

    def commit(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        try:
            self.partial.replace(self.path)
        except FileNotFoundError:
            # Deleted while being written: its export went (the owner deleted their account).
            # Not stored; the copy's caller finds the export gone and keeps nothing.
            raise ArchiveInvalidError("the partial copy was removed while it was written") from None

    def abort(self) -> None:
        self._file.close()
        self.partial.unlink(missing_ok=True)


def partial_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


class S3MultipartSink:
    """An S3 multipart upload fed from the stream in parts of EXPORT_S3_PART_SIZE bytes (the
    only buffer), each with its CRC-32 checksum, completed only when the archive checks out and
    aborted otherwise."""

    def __init__(self, client: Any, bucket: str, key: str) -> None:
        self.client = client
        self.bucket = bucket
        self.key = key
        self.part_size = settings.EXPORT_S3_PART_SIZE
        self.buffer = bytearray()
        self.parts: list[dict[str, Any]] = []
        self.upload_id = self.client.create_multipart_upload(
            Bucket=self.bucket, Key=key, ContentType="application/zip", ChecksumAlgorithm="CRC32"
        )["UploadId"]

    def write(self, chunk: bytes) -> None:
        self.buffer += chunk
        while len(self.buffer) >= self.part_size:
            self._upload(bytes(self.buffer[: self.part_size]))
            del self.buffer[: self.part_size]

    def commit(self) -> None:
        if self.buffer or not self.parts:
            self._upload(bytes(self.buffer))
            self.buffer.clear()
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self.parts},
        )

    def abort(self) -> None:
        self.buffer.clear()
        try:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id
            )
        except (BotoCoreError, ClientError):
            # The original error is the one to report; abort_stale_uploads finishes this later.
            logger.warning("Could not abort the upload of %s; it will be cleaned up", self.key)

    def _upload(self, body: bytes) -> None:
        number = len(self.parts) + 1
        answer = self.client.upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=body,
            ChecksumAlgorithm="CRC32",
        )
        part = {"PartNumber": number, "ETag": answer["ETag"]}
        if "ChecksumCRC32" in answer:
            part["ChecksumCRC32"] = answer["ChecksumCRC32"]
        self.parts.append(part)


class ArchiveStorage(Protocol):
    """Where stored archives live. One object for the configured storage: archive_storage()."""

    def open_sink(self, key: str) -> ArchiveSink:
        """A destination for the archive stored under `key`, visible there once committed."""
        ...

    def delete(self, key: str) -> None:
        """Removes the archive under `key` and whatever a cut-short copy left of it.
        Idempotent: nothing there is fine."""
        ...

    def abort_stale_uploads(self, older_than: dt.timedelta, is_live: Callable[[str], bool]) -> int:
        """Ends unfinished uploads started more than `older_than` ago whose key `is_live`
        says no copy is working on. Returns how many."""
        ...

    def download_response(self, request: HttpRequest, export: ExportRequest) -> HttpResponse:
        """The export's stored archive, handed to whoever was allowed to ask for it."""
        ...

    def open_archive(self, key: str) -> BinaryIO:
        """The archive under `key` as a seekable binary file, read where it is stored.
        Raises FileNotFoundError (files) or botocore's ClientError (S3) if it is not there."""
        ...


def archive_storage() -> ArchiveStorage:
    """The ArchiveStorage for the configured default storage."""
    return _archive_storage_for(storages["default"])


@functools.cache
def _archive_storage_for(storage: Storage) -> ArchiveStorage:
    if isinstance(storage, FileSystemStorage):
        return FileArchiveStorage(storage)
    if settings.AWS_STORAGE_BUCKET_NAME:
        from storages.backends.s3 import S3Storage  # noqa: PLC0415 (boto3 only with S3)

        if isinstance(storage, S3Storage):
            return S3ArchiveStorage(storage)
    raise NotImplementedError(f"archives cannot be stored in {type(storage).__name__}")


class FileArchiveStorage:
    """Archives as files under the storage's folder, one folder per person."""

    def __init__(self, storage: FileSystemStorage) -> None:
        self.storage = storage

    def open_sink(self, key: str) -> ArchiveSink:
        return FileSink(Path(self.storage.path(key)))

    def delete(self, key: str) -> None:
        path = Path(self.storage.path(key))
        path.unlink(missing_ok=True)
        partial_path(path).unlink(missing_ok=True)
        # The person's folder goes with their last archive: nothing of theirs stays behind.
        with contextlib.suppress(FileNotFoundError, OSError):
            path.parent.rmdir()

    def open_archive(self, key: str) -> BinaryIO:
        return Path(self.storage.path(key)).open("rb")

    def abort_stale_uploads(self, older_than: dt.timedelta, is_live: Callable[[str], bool]) -> int:
        # A partial file is overwritten by the next copy and removed by delete(): nothing to do.
        return 0

    def download_response(self, request: HttpRequest, export: ExportRequest) -> HttpResponse:
        return downloads.ranged_file_response(
            request,
            lambda: self.storage.open(export.archive_key, "rb"),
            size=export.archive_size or 0,
            etag=f'"{export.archive_sha256}"',
            filename=export.archive_filename(),
        )


class S3ArchiveStorage:
    """Archives as objects in an S3 bucket, written by multipart upload."""

    def __init__(self, storage: Any) -> None:
        self.storage = storage
        self.client = storage.connection.meta.client
        self.bucket = storage.bucket_name

    def open_sink(self, key: str) -> ArchiveSink:
        return S3MultipartSink(self.client, self.bucket, key)

    def open_archive(self, key: str) -> BinaryIO:
        return io.BufferedReader(RangedS3Object(self.client, self.bucket, key), 1024 * 1024)

    def delete(self, key: str) -> None:
        # An upload still open under this key is aborted by abort_stale_uploads.
        self.storage.delete(key)

    def abort_stale_uploads(self, older_than: dt.timedelta, is_live: Callable[[str], bool]) -> int:
        cutoff = timezone.now() - older_than
        aborted = 0
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=KEY_PREFIX):
            for upload in page.get("Uploads", []):
                if upload["Initiated"] < cutoff and not is_live(upload["Key"]):
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    aborted += 1
        return aborted

    def download_response(self, request: HttpRequest, export: ExportRequest) -> HttpResponse:
        """A redirect to a download link made for this click, valid a few minutes, so no web
        worker is tied up by a multi-GB transfer."""
        url = self.storage.url(
            export.archive_key,
            parameters={
                "ResponseContentDisposition": content_disposition_header(
                    True, export.archive_filename()
                ),
                "ResponseContentType": "application/zip",
            },
            expire=downloads.PRESIGNED_SECONDS,
        )
        return downloads.credential_redirect(url)
