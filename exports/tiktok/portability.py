"""TikTok's Data Portability API on behalf of one person (tiktok-api.md §2)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
import urllib3
from django.conf import settings

from exports.tiktok.errors import (
    AccessTokenInvalidError,
    PermanentTikTokError,
    TransientTikTokError,
    eligibility_refusal,
)
from exports.tiktok.http import (
    is_json,
    parse_v2_envelope,
    portability_url,
    send,
)
from exports.tiktok.http import (
    request_id as _request_id,
)
from exports.tiktok.http import (
    timestamp as _timestamp,
)
from exports.tiktok.oauth import current_access_token, refresh_access_token

CHECK_FIELDS = "request_id,apply_time,collect_time,status,data_format,category_selection_list"
DATA_REQUEST_STATUSES = frozenset({"pending", "downloading", "expired", "cancelled"})
# Reads of the archive stream: large enough that Python's per-call cost vanishes.
DOWNLOAD_CHUNK = 1024 * 1024

T = TypeVar("T")


@dataclass(frozen=True)
class DataRequestStatus:
    """TikTok's answer to Check Status. `status` is one of DATA_REQUEST_STATUSES; "downloading"
    means the archive is ready to download."""

    request_id: int
    status: str
    apply_time: dt.datetime | None
    collect_time: dt.datetime | None


class ArchiveStream:
    """The body of a successful Download: the zip, read in DOWNLOAD_CHUNK pieces."""

    def __init__(self, response: requests.Response) -> None:
        self._response = response
        length = response.headers.get("Content-Length", "")
        self.content_length: int | None = int(length) if length.isdigit() else None

    def chunks(self) -> Iterator[bytes]:
        """Yields the archive's bytes. Raises TransientTikTokError ``download_interrupted``,
        saying how, if the stream breaks off: reset, closed short of its Content-Length, a
        chunked body without its last chunk, or silent for longer than the read timeout."""
        try:
            yield from self._response.iter_content(chunk_size=DOWNLOAD_CHUNK)
        except requests.RequestException as error:
            chunked = "chunked" in self._response.headers.get("Transfer-Encoding", "").lower()
            raise TransientTikTokError(
                "download_interrupted", _interruption(error, chunked=chunked)
            ) from None


class PortabilityClient:
    """TikTok's Data Portability API on behalf of one person (tiktok-api.md §2).

    Every call uses the person's current access token, refreshing it first when it is about to
    expire, and once more (then retrying the call once) when TikTok answers
    `access_token_invalid`. Raises TransientTikTokError or PermanentTikTokError.
    """

    def __init__(self, authorization_id: int) -> None:
        self.authorization_id = authorization_id

    def add_data_request(self, data_format: str, categories: list[str]) -> int:
        """Asks TikTok to prepare an export; returns its int64 request_id. Not idempotent: with
        a once-only scope TikTok accepts it a single time."""
        body = {"data_format": data_format, "category_selection_list": categories}
        try:
            data = self._call(portability_url("add"), params={"fields": "request_id"}, json=body)
        except PermanentTikTokError as error:
            refusal = eligibility_refusal(error)
            if refusal is error:
                raise
            raise refusal from error
        return _request_id(data.get("request_id"))

    def check(self, request_id: int) -> DataRequestStatus:
        data = self._call(
            portability_url("check"),
            params={"fields": CHECK_FIELDS},
            json={"request_id": request_id},
        )
        status = str(data.get("status") or "")
        if status not in DATA_REQUEST_STATUSES:
            raise PermanentTikTokError("unexpected_status", f"TikTok reported status {status!r}.")
        return DataRequestStatus(
            request_id=_request_id(data.get("request_id", request_id)),
            status=status,
            apply_time=_timestamp(data.get("apply_time")),
            collect_time=_timestamp(data.get("collect_time")),
        )

    def cancel(self, request_id: int) -> None:
        self._call(portability_url("cancel"), json={"request_id": request_id})

    @contextmanager
    def download(self, request_id: int) -> Iterator[ArchiveStream]:
        """Opens the archive stream of a ready request (status "downloading")."""

        def open_stream(access_token: str) -> requests.Response:
            response = send(
                "POST",
                portability_url("download"),
                access_token,
                json={"request_id": request_id},
                stream=True,
            )
            if response.ok and not is_json(response):
                return response
            with response:
                parse_v2_envelope(response)
            raise PermanentTikTokError("invalid_response", "TikTok sent no archive.")

        response = self._with_token(open_stream)
        with response:
            yield ArchiveStream(response)

    def _call(
        self, url: str, *, json: dict[str, Any], params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        return self._with_token(
            lambda token: parse_v2_envelope(send("POST", url, token, params=params, json=json))
        )

    def _with_token(self, call: Callable[[str], T]) -> T:
        token = current_access_token(self.authorization_id)
        try:
            return call(token)
        except AccessTokenInvalidError:
            return call(refresh_access_token(self.authorization_id, stale_access_token=token))


def _interruption(error: requests.RequestException, *, chunked: bool) -> str:
    """How an archive stream broke, in words for the export's history and the log. requests
    wraps urllib3's error, which wraps the socket's: the cause is found along the chain."""
    causes = _causes(error)
    if any(isinstance(cause, ConnectionResetError) for cause in causes):
        return "TikTok's side reset the connection"
    if any(isinstance(cause, urllib3.exceptions.TimeoutError | TimeoutError) for cause in causes):
        return f"TikTok sent nothing for {settings.TIKTOK_READ_TIMEOUT:g} s"
    if any(isinstance(cause, urllib3.exceptions.IncompleteRead) for cause in causes):
        return "TikTok closed the connection before the end of the archive"
    if chunked and any(isinstance(cause, urllib3.exceptions.HTTPError) for cause in causes):
        return "the chunked stream ended without its last chunk"
    return f"the stream broke off ({type(error).__name__})"


def _causes(error: BaseException) -> list[BaseException]:
    """``error`` and every exception it carries, as an argument or as its cause or context."""
    found: list[BaseException] = []
    pending = [error]
    while pending:
        current = pending.pop()
        if any(current is seen for seen in found):
            continue
        found.append(current)
        pending += [arg for arg in current.args if isinstance(arg, BaseException)]
        pending += [link for link in (current.__cause__, current.__context__) if link]
    return found
