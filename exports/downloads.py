"""Handing a stored archive to its owner, in full or from a byte offset (HTTP Range), so an
interrupted download of a large archive can resume (`curl -C -`, browsers' resume)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from django.core.files.storage import FileSystemStorage, storages
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils.http import content_disposition_header

from exports.models import ExportRequest

CHUNK = 1024 * 1024
PRESIGNED_SECONDS = 300
_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiableError(Exception):
    """A well-formed byte range that lies outside the archive."""


def archive_response(request: HttpRequest, export: ExportRequest) -> HttpResponse:
    """The archive as an attachment. From S3: a redirect to a download link made for this
    click, valid five minutes, so no web worker is tied up by a multi-GB transfer. From file
    storage: 200 in full, 206 for a single byte range, 416 for a byte range past its end; a
    Range this site does not serve (another unit, several ranges) is ignored, as RFC 9110
    allows, and so is one whose If-Range no longer matches."""
    storage = storages["default"]
    if not isinstance(storage, FileSystemStorage):
        return _redirect_to_storage(storage, export)
    size = export.archive_size or 0
    etag = f'"{export.archive_sha256}"'
    wanted = request.headers.get("Range", "")
    if request.headers.get("If-Range", etag) != etag:
        wanted = ""
    try:
        byte_range = parse_range(wanted, size) if wanted else None
    except RangeNotSatisfiableError:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return _headers(response, export, etag)
    if request.method == "HEAD":
        response = HttpResponse(content_type="application/zip")
        response["Content-Length"] = str(size)
        return _headers(response, export, etag)
    archive = storage.open(export.archive_key, "rb")
    if byte_range is None:
        response = FileResponse(archive, as_attachment=True, filename=export.archive_filename())
        response["Content-Length"] = str(size)
        return _headers(response, export, etag)
    start, end = byte_range
    archive.seek(start)
    response = StreamingHttpResponse(_read(archive, end - start + 1), status=206)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(end - start + 1)
    response["Content-Type"] = "application/zip"
    return _headers(response, export, etag)


def _redirect_to_storage(storage: Any, export: ExportRequest) -> HttpResponse:
    url = storage.url(
        export.archive_key,
        parameters={
            "ResponseContentDisposition": content_disposition_header(
                True, export.archive_filename()
            ),
            "ResponseContentType": "application/zip",
        },
        expire=PRESIGNED_SECONDS,
    )
    response = HttpResponseRedirect(url)
    # The link is a credential in a URL: not to be cached or passed on as a referrer.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The (first, last) byte of a single `bytes=` range within `size`; None for a header this
    site ignores (not a single byte range). Raises RangeNotSatisfiableError for a byte range
    that starts past the end (or asks for the last 0 bytes)."""
    match = _SINGLE_RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        if int(last) == 0 or size == 0:
            raise RangeNotSatisfiableError
        return max(0, size - int(last)), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # syntactically invalid: ignored
    if start >= size:
        raise RangeNotSatisfiableError
    end = min(int(last), size - 1) if last else size - 1
    return start, end


def _read(archive: IO[bytes], remaining: int) -> Iterator[bytes]:
    with archive:
        while remaining > 0:
            chunk = archive.read(min(CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


def _headers(response: HttpResponse, export: ExportRequest, etag: str) -> HttpResponse:
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-store"
    if response.status_code in {200, 206}:
        response["Content-Disposition"] = content_disposition_header(
            True, export.archive_filename()
        )
    return response
