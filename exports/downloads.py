"""Handing a stored archive over HTTP: in full or from a byte offset (HTTP Range), so an
interrupted download of a large archive can resume (`curl -C -`, browsers' resume), or as a
redirect to a presigned link. Which of these a stored archive gets is its storage's choice
(exports.archive_store.ArchiveStorage.download_response)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import IO

from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils.http import content_disposition_header

CHUNK = 1024 * 1024
PRESIGNED_SECONDS = 300
_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# A byte position longer than this cannot be in any archive (2**63 has 19 digits), and Python
# refuses to read integers of more than 4,300 digits: such a range is refused, not parsed.
MAX_POSITION_DIGITS = 19


class RangeNotSatisfiableError(Exception):
    """A well-formed byte range that lies outside the archive."""


def ranged_file_response(
    request: HttpRequest,
    open_file: Callable[[], IO[bytes]],
    *,
    size: int,
    etag: str,
    filename: str,
) -> HttpResponse:
    """A stored file as an attachment: 200 in full, 206 for a single byte range, 416 for a
    byte range past its end. A Range this site does not serve (another unit, several ranges)
    is ignored, as RFC 9110 allows, and so is one whose If-Range no longer matches."""
    wanted = request.headers.get("Range", "")
    if request.headers.get("If-Range", etag) != etag:
        wanted = ""
    try:
        byte_range = parse_range(wanted, size) if wanted else None
    except RangeNotSatisfiableError:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return _headers(response, etag, filename)
    if request.method == "HEAD":
        response = HttpResponse(content_type="application/zip")
        response["Content-Length"] = str(size)
        return _headers(response, etag, filename)
    archive = open_file()
    if byte_range is None:
        response = FileResponse(archive, as_attachment=True, filename=filename)
        response["Content-Length"] = str(size)
        return _headers(response, etag, filename)
    start, end = byte_range
    archive.seek(start)
    response = StreamingHttpResponse(_read(archive, end - start + 1), status=206)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(end - start + 1)
    response["Content-Type"] = "application/zip"
    return _headers(response, etag, filename)


def credential_redirect(url: str) -> HttpResponse:
    """A redirect to a link that is itself a credential (a presigned storage URL)."""
    response = HttpResponseRedirect(url)
    # The link is a credential in a URL: not to be cached or passed on as a referrer.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The (first, last) byte of a single `bytes=` range within `size`; None for a header this
    site ignores (not a single byte range). Raises RangeNotSatisfiableError for a byte range
    that starts past the end (or asks for the last 0 bytes), and for one whose positions are
    longer than any archive could need."""
    match = _SINGLE_RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if len(first) > MAX_POSITION_DIGITS or len(last) > MAX_POSITION_DIGITS:
        raise RangeNotSatisfiableError
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


def _headers(response: HttpResponse, etag: str, filename: str) -> HttpResponse:
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-store"
    if response.status_code in {200, 206}:
        response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
