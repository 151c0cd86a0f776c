"""The product's fetch path, in a process of its own so that its peak RSS is its own.

    python bench/fetch.py URL --storage file|s3

Sets Django up as a worker would (file storage in a fresh MEDIA_ROOT under var/bench/, or S3
from the AWS_* variables the caller sets), then does what ``fetch_archive`` does less the
database: POSTs to URL through the product's transport (``exports.tiktok.http.send`` with
``stream=True``, as ``PortabilityClient.download`` does), reads the body with the product's
reader (``ArchiveStream(response).chunks()``, 1 MiB chunks) and hands it to
``copy_archive`` with ``expected_size`` = Content-Length and a progress callback that does
nothing. The clock runs from the request to ``copy_archive``'s return (the file fsynced and
renamed into place, or the multipart upload completed).

Prints one JSON line: seconds, cpu_seconds (user + system, during the copy), bytes, sha256,
entries and the process's peak RSS in KiB twice: ``peak_rss_kib`` (VmHWM, this process image's
own) and ``ru_maxrss_kib`` (getrusage, which on Linux also counts what the process that
started this one had resident when it did: exec carries the larger figure over). Then deletes
what it stored (the file and its MEDIA_ROOT, or the S3 object), so big runs do not fill the
disk or the S3 server. Exits 1 if the copy fails.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from common import VAR_BENCH, cpu_seconds, own_peak_rss_kib, setup_django

if TYPE_CHECKING:
    from exports.archive_store import StoredArchive

# What the POST carries, as TikTok's Download expects (the server ignores it).
REQUEST_ID = 2**61 + 7
ACCESS_TOKEN = "bench-access-token"  # noqa: S105 - sent to the local stand-in only


def configure(storage: str) -> Path | None:
    """Points the default storage at a fresh MEDIA_ROOT (returned) or at S3, then sets
    Django up."""
    media_root = None
    if storage == "file":
        VAR_BENCH.mkdir(parents=True, exist_ok=True)
        media_root = Path(tempfile.mkdtemp(prefix="media-", dir=VAR_BENCH))
        os.environ["MEDIA_ROOT"] = str(media_root)
        os.environ["AWS_STORAGE_BUCKET_NAME"] = ""
    elif not os.environ.get("AWS_STORAGE_BUCKET_NAME"):
        raise SystemExit("--storage s3 needs the AWS_* variables of an S3 server")
    setup_django()
    return media_root


def fetch(url: str) -> tuple[float, float, StoredArchive]:
    """Copies the archive at `url` into the default storage the product's way; returns the
    seconds it took, the CPU seconds it used and what was stored."""
    from exports.archive_store import archive_key, copy_archive  # noqa: PLC0415 - after setup
    from exports.tiktok.http import send  # noqa: PLC0415
    from exports.tiktok.portability import ArchiveStream  # noqa: PLC0415

    key = archive_key(0, uuid.uuid4())
    cpu = cpu_seconds()
    started = time.perf_counter()
    response = send("POST", url, ACCESS_TOKEN, json={"request_id": REQUEST_ID}, stream=True)
    with response:
        response.raise_for_status()
        stream = ArchiveStream(response)
        stored = copy_archive(
            stream.chunks(), key, expected_size=stream.content_length, on_progress=ignore
        )
    return time.perf_counter() - started, cpu_seconds() - cpu, stored


def ignore(size: int) -> None:
    """The progress callback: the product renews its lease here; the benchmark does nothing."""


def clean_up(key: str | None, media_root: Path | None) -> None:
    """Deletes the stored archive and the temporary MEDIA_ROOT."""
    if key is not None:
        from exports.archive_store import archive_storage  # noqa: PLC0415 - after setup

        archive_storage().delete(key)
    if media_root is not None:
        shutil.rmtree(media_root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--storage", choices=("file", "s3"), required=True)
    args = parser.parse_args()
    media_root = configure(args.storage)
    key = None
    try:
        seconds, cpu, stored = fetch(args.url)
        key = stored.key
        peak_kib = own_peak_rss_kib()
        ru_maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    finally:
        clean_up(key, media_root)
    result = {"seconds": seconds, "cpu_seconds": cpu, "bytes": stored.size}
    result |= {"sha256": stored.sha256, "entries": stored.entries}
    result |= {"peak_rss_kib": peak_kib, "ru_maxrss_kib": ru_maxrss_kib}
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
