"""The task API (exports/openapi.yaml): the seed's `task/create` and `task/status`, served by
this site on top of the dashboard's own pipeline, for a service holding one of the person's API
tokens.

TikTok has no task API (tiktok-api.md §4); this one translates: its `data_types` become the
smallest set of TikTok categories that covers them, its `task_id` is the export's id, and its
`download_urls` are short-lived signed links to the stored archive on this site.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from exports.datasets import ReviewedShare
from exports.models import ApiToken, ExportOrigin, ExportRequest, ExportState, exports_for
from exports.scopes import Category, DataFormat
from exports.services import sharing
from exports.services.export_requests import (
    ExportAlreadyActiveError,
    ExportNotAllowedError,
    request_export,
)
from exports.services.extracts import ExtractNotReadyError, read_datasets, summary_of

# The seed's data types and the TikTok category each is part of (tiktok-api.md §4: TikTok has
# no categories of their own for favourites, comments, following and followers).
DATA_TYPE_CATEGORY = {
    "ACTIVITY": Category.ACTIVITY,
    "FAVORITES": Category.ACTIVITY,
    "COMMENTS": Category.ACTIVITY,
    "VIDEOS": Category.VIDEO,
    "PROFILE": Category.PROFILE,
    "FOLLOWING": Category.PROFILE,
    "FOLLOWERS": Category.PROFILE,
    "DIRECT_MESSAGES": Category.DIRECT_MESSAGE,
}
# The data sets (exports.reader) each data type's extract holds, once the archive is read.
DATA_TYPE_DATASETS: dict[str, tuple[str, ...]] = {
    "ACTIVITY": (
        "watch_history", "likes", "searches", "shares", "reposts", "logins", "live_watched",
        "device_status", "activity_summary", "off_tiktok_activity", "ad_interests",
    ),
    "FAVORITES": (
        "favorite_videos", "favorite_sounds", "favorite_effects", "favorite_hashtags",
        "favorite_collections",
    ),
    "COMMENTS": ("comments",),
    "VIDEOS": ("posts",),
    "PROFILE": ("profile", "settings", "blocked"),
    "FOLLOWING": ("following",),
    "FOLLOWERS": ("followers",),
    "DIRECT_MESSAGES": ("direct_messages",),
}  # fmt: skip
DOWNLOAD_SALT = "exports.api.download"
# How long a download URL from task/status works: long enough to start a multi-GB download,
# short enough that one copied into a log soon stops working.
DOWNLOAD_URL_SECONDS = 15 * 60

TASK_STATUS = {
    ExportState.REQUESTED: "PROCESSING",
    ExportState.PROCESSING: "PROCESSING",
    ExportState.FETCHING: "PROCESSING",
    ExportState.READY: "READY",
    ExportState.FAILED: "FAILED",
    ExportState.CANCELLED: "FAILED",
    ExportState.EXPIRED: "EXPIRED",
    # The stored archive was deleted after its retention (or by its owner): gone like an
    # export TikTok let expire.
    ExportState.DELETED: "EXPIRED",
}


class TaskApiError(Exception):
    """A request the API refuses: `code` for programs, `message` for people, `status` the
    HTTP status, `data` anything the caller can act on (the active task's id)."""

    def __init__(
        self, status: int, code: str, message: str, data: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.data = data or {}


def categories_for(data_types: object) -> list[str]:
    """The smallest set of TikTok categories covering `data_types`. Raises TaskApiError
    (400 invalid_params) for anything but a non-empty list of known data types."""
    if not isinstance(data_types, list) or not data_types:
        raise TaskApiError(400, "invalid_params", "data_types must be a non-empty list.")
    unknown = [t for t in data_types if not isinstance(t, str) or t not in DATA_TYPE_CATEGORY]
    if unknown:
        known = ", ".join(DATA_TYPE_CATEGORY)
        raise TaskApiError(
            400, "invalid_params", f"Unknown data types {unknown!r}; known: {known}."[:500]
        )
    return sorted({DATA_TYPE_CATEGORY[t].value for t in data_types})


@dataclass(frozen=True)
class NewTask:
    """What a well-formed task/create body asks for."""

    categories: list[str]
    data_format: str


def new_task_of(body: dict[str, Any]) -> NewTask:
    """Reads a task/create body, touching nothing. Raises TaskApiError (400 invalid_params)
    for missing, unknown or malformed data_types or data_format."""
    categories = categories_for(body.get("data_types"))
    data_format = body.get("data_format", "json")
    if not isinstance(data_format, str) or data_format not in DataFormat.values:
        raise TaskApiError(400, "invalid_params", "data_format must be json or text.")
    return NewTask(categories, data_format)


def create_task(token: ApiToken, task: NewTask) -> str:
    """Starts an export of the token owner's data through the dashboard's own service; returns
    its task id. Raises TaskApiError: 400 scope_not_authorized (a data type the person did not
    allow at TikTok, or a once-only permission already used), 409 task_already_active (with
    the active task's id)."""
    try:
        export = request_export(
            token.user, task.categories, task.data_format, origin=ExportOrigin.API, api_token=token
        )
    except ExportNotAllowedError as refused:
        raise TaskApiError(400, "scope_not_authorized", str(refused)) from None
    except ExportAlreadyActiveError as busy:
        data = {"task_id": str(busy.active.pk)} if busy.active else {}
        raise TaskApiError(409, "task_already_active", str(busy), data) from None
    return str(export.pk)


def task_status(token: ApiToken, task_id: object) -> dict[str, Any]:
    """The task's status as the API reports it, with `download_urls` when it is READY.
    Raises TaskApiError: 400 invalid_params, 404 task_not_found (also for another person's
    task: the two are not told apart)."""
    export = _task_of(token, task_id)
    status = TASK_STATUS[ExportState(export.state)]
    data: dict[str, Any] = {
        "task_id": str(export.pk),
        "status": status,
        "data_types": _data_types_of(export.categories),
        "data_format": export.data_format,
        "created_at": _timestamp(export.created_at),
    }
    if status == "READY":
        downloads = _downloads(token, export, data["data_types"])
        data["download_urls"] = [download["url"] for download in downloads]
        data["downloads"] = downloads
        data["reading"] = _reading_state(export)
        data["size"] = export.archive_size
        data["sha256"] = export.archive_sha256
        data["expires_at"] = _timestamp(export.retention_until)
    if status in ("FAILED", "EXPIRED"):
        data["failure"] = _failure_of(export)
    return data


def download_url(token: ApiToken, export: ExportRequest, data_type: str = "") -> str:
    """A link to the export's archive (or, with `data_type`, to that data type's extract) that
    works without a browser session for DOWNLOAD_URL_SECONDS, and only while `token` is not
    revoked."""
    payload: dict[str, Any] = {"export": str(export.pk), "token": token.pk}
    if data_type:
        payload["data_type"] = data_type
    return _signed_url(payload)


def _signed_url(payload: dict[str, Any]) -> str:
    signed = signing.TimestampSigner(salt=DOWNLOAD_SALT).sign_object(payload)
    return f"{settings.SITE_URL}/v2/data_portability/download/{signed}/"


@dataclass(frozen=True)
class Download:
    """What a download link names: the export, and the data type of an extract ("" for the
    whole archive) with the data sets it holds, or a reviewed share of it."""

    export: ExportRequest
    data_type: str = ""
    datasets: tuple[str, ...] = ()
    share: ReviewedShare | None = None


def shares_for(token: ApiToken) -> list[dict[str, Any]]:
    """The reviewed shares the token's owner offered to its holder, newest first, each with a
    download URL (made as task/status makes them)."""
    return [
        {
            "share_id": str(share.pk),
            "task_id": str(share.export_id),
            "created_at": _timestamp(share.created_at),
            "datasets": list(share.datasets),
            "since": share.since.isoformat() if share.since else None,
            "until": share.until.isoformat() if share.until else None,
            "rows_left_out": len(share.struck),
            "format": share.file_format,
            "download_url": _signed_url({"share": str(share.pk), "token": token.pk}),
        }
        for share in sharing.shares_offered_to(token)
        if share.export.can_be_downloaded
    ]


def resolve_download(signed: str) -> Download:
    """The ready export (and extract) a download link names. Raises TaskApiError: 410
    download_url_expired, 404 download_not_found (forged, altered, its token revoked or
    expired, the archive no longer there, or not read)."""
    try:
        payload = signing.TimestampSigner(salt=DOWNLOAD_SALT).unsign_object(
            signed, max_age=dt.timedelta(seconds=DOWNLOAD_URL_SECONDS)
        )
        token_id = int(payload["token"])
        share_id = uuid.UUID(payload["share"]) if "share" in payload else None
        export_id = None if share_id else uuid.UUID(payload["export"])
        data_type = str(payload.get("data_type", ""))
    except signing.SignatureExpired:
        raise TaskApiError(
            410, "download_url_expired", "This download URL has expired: ask task/status again."
        ) from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise TaskApiError(404, "download_not_found", "No such download.") from None
    if share_id is not None:
        return _shared_download(token_id, share_id)
    token = ApiToken.objects.usable().select_related("user").filter(pk=token_id).first()
    export = exports_for(token.user).filter(pk=export_id).first() if token else None
    if export is None or not export.can_be_downloaded:
        raise TaskApiError(404, "download_not_found", "No such download.")
    if not data_type:
        return Download(export)
    datasets = _datasets_of(data_type, _read_datasets_of(export))
    if not datasets:
        raise TaskApiError(404, "download_not_found", "No such download.")
    return Download(export, data_type, datasets)


def _shared_download(token_id: int, share_id: uuid.UUID) -> Download:
    """The share a download link names, while it is offered to a usable token."""
    token = ApiToken.objects.usable().select_related("user").filter(pk=token_id).first()
    share = sharing.share_offered(token, share_id) if token else None
    if share is None:
        raise TaskApiError(404, "download_not_found", "No such download.")
    return Download(share.export, share=share)


def _downloads(token: ApiToken, export: ExportRequest, data_types: list[str]) -> list[dict]:
    """The whole archive first, then an extract per data type the reading found data of."""
    downloads = [{"data_type": "ARCHIVE", "format": "zip", "url": download_url(token, export)}]
    found = _read_datasets_of(export)
    for data_type in data_types:
        if _datasets_of(data_type, found):
            url = download_url(token, export, data_type)
            downloads.append({"data_type": data_type, "format": "json", "url": url})
    return downloads


def _read_datasets_of(export: ExportRequest) -> set[str]:
    """The data sets the export's reading found records of (none before it is done)."""
    try:
        return set(read_datasets(export))
    except ExtractNotReadyError:
        return set()


def _datasets_of(data_type: str, found: set[str]) -> tuple[str, ...]:
    """The data sets of `data_type` among those `found`."""
    return tuple(name for name in DATA_TYPE_DATASETS.get(data_type, ()) if name in found)


def _task_of(token: ApiToken, task_id: object) -> ExportRequest:
    if not isinstance(task_id, str):
        raise TaskApiError(400, "invalid_params", "task_id must be a string.")
    try:
        export_id = uuid.UUID(task_id)
    except ValueError:
        raise TaskApiError(404, "task_not_found", "No such task.") from None
    export = exports_for(token.user).filter(pk=export_id).first()
    if export is None:
        raise TaskApiError(404, "task_not_found", "No such task.")
    return export


def _data_types_of(categories: Iterable[str]) -> list[str]:
    if Category.ALL_DATA in categories:
        return list(DATA_TYPE_CATEGORY)
    return [t for t, category in DATA_TYPE_CATEGORY.items() if category in categories]


def _failure_of(export: ExportRequest) -> dict[str, str]:
    if export.state == ExportState.CANCELLED:
        return {"code": "task_cancelled", "message": _("The export was cancelled.")}
    if export.state == ExportState.DELETED:
        return {"code": "archive_deleted", "message": _("The stored archive was deleted.")}
    if export.state == ExportState.EXPIRED:
        return {
            "code": "expired_at_tiktok",
            "message": _("TikTok's copy expired before it could be fetched."),
        }
    return {
        "code": export.failure_code or "failed",
        "message": export.failure_message,
    }


def _timestamp(moment: dt.datetime | None) -> int | None:
    return int(moment.timestamp()) if moment else None


def _reading_state(export: ExportRequest) -> str:
    return summary_of(export)["reading"]["state"]
