"""Shared helpers for the export tests: people, grants, exports, TikTok's payloads, zips.

Fixtures live here too; a test module takes the ones it needs by assigning them
(`published = factories.published`), which pytest collects like a definition.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from exports.archive_store import archive_key
from exports.lifecycle import EMAILS_OWED
from exports.models import (
    EmailKind,
    ExportEmail,
    ExportRequest,
    ExportState,
    TikTokAuthorization,
)

API = "https://open.tiktokapis.com"
AUTH = "https://www.tiktok.com"
TOKEN_URL = API + "/v2/oauth/token/"
ADD_URL = API + "/v2/user/data/add/"
CHECK_URL = API + "/v2/user/data/check/"
CANCEL_URL = API + "/v2/user/data/cancel/"
DOWNLOAD_URL = API + "/v2/user/data/download/"
CLIENT_KEY = "test-client-key"
CLIENT_SECRET = "test-client-secret"
# Above 2**53: a float on the way would round it to another request's id.
BIG_REQUEST_ID = 7234567890123456789
MIB = 1024 * 1024
ACCESS_TOKEN = "act.x"
REFRESH_TOKEN = "rft.x"


# Fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def tiktok_at_real_urls(settings: Any) -> None:
    """exports.tiktok talks to TikTok's documented hosts, with known app credentials."""
    settings.TIKTOK_API_BASE_URL = API
    settings.TIKTOK_AUTH_BASE_URL = AUTH
    settings.TIKTOK_CLIENT_KEY = CLIENT_KEY
    settings.TIKTOK_CLIENT_SECRET = CLIENT_SECRET


@pytest.fixture
def archive_dirs(settings: Any, tmp_path: Path) -> tuple[Path, Path]:
    """File storage under this test's own directory (other test runs share var/test).
    Returns (storage root, where partial copies are written: the same folder)."""
    media = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media), "allow_overwrite": True},
        },
    }
    return media, media


@dataclass(frozen=True)
class Publication:
    task: str
    export_id: str
    delay: float


class Published(list):
    """Every task the code under test published, in order (instead of reaching a broker)."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def __call__(self, task_name: str, export_id: object, *, delay: float = 0.0) -> None:
        with self._lock:
            self.append(Publication(task_name, str(export_id), delay))

    def of(self, export_id: object) -> list[Publication]:
        return [p for p in self if p.export_id == str(export_id)]

    def pairs(self) -> set[tuple[str, str]]:
        return {(p.task, p.export_id) for p in self}


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> Published:
    recorder = Published()
    monkeypatch.setattr("exports.taskqueue.publish", recorder)
    return recorder


# People and grants -------------------------------------------------------------------------


def make_user(username: str = "ana") -> AbstractBaseUser:
    return get_user_model().objects.create_user(username=username)


def authorize(
    user: AbstractBaseUser,
    scopes: list[str] | None = None,
    *,
    access_token: str = ACCESS_TOKEN,
    refresh_token: str = REFRESH_TOKEN,
    expires_in: dt.timedelta = dt.timedelta(hours=2),
    open_id: str | None = None,
) -> TikTokAuthorization:
    """What signing in with TikTok leaves behind: the grant, with encrypted tokens."""
    authorization = TikTokAuthorization(
        user=user,
        open_id=open_id or f"open-{user.get_username()}",
        granted_scopes=scopes or ["user.info.basic", "portability.all.ongoing"],
        access_token_expires_at=timezone.now() + expires_in,
        refresh_token_expires_at=timezone.now() + dt.timedelta(days=180),
    )
    authorization.set_tokens(access_token, refresh_token)
    authorization.save()
    return authorization


def make_owner_with_verified_email(username: str = "owner") -> AbstractBaseUser:
    """A signed-up person with a TikTok grant and a verified, primary email address."""
    person = make_user(username)
    authorize(person, open_id=f"open-{username}")
    EmailAddress.objects.create(
        user=person, email=f"{username}@example.com", verified=True, primary=True
    )
    return person


def make_export(user: AbstractBaseUser, state: str = ExportState.REQUESTED, **fields: Any):
    """An export in `state` with the fields that state needs, due now."""
    defaults: dict[str, Any] = {
        "categories": ["all_data"],
        "data_format": "json",
        "scope": "portability.all.ongoing",
        "next_step_at": timezone.now() - dt.timedelta(seconds=1),
    }
    if state != ExportState.REQUESTED:
        defaults["tiktok_request_id"] = BIG_REQUEST_ID
    email_fields = {name: fields.pop(name) for name in list(fields) if name in EMAIL_FIELDS}
    defaults.update(fields)
    export = ExportRequest.objects.create(user=user, state=state, **defaults)
    owe_emails(export, **email_fields)
    return export


# The emails an export in each state is owed, and how a test names their bookkeeping.
EMAIL_FIELDS = {
    "notified_at": (EmailKind.OUTCOME, "sent_at"),
    "notify_claimed_until": (EmailKind.OUTCOME, "claimed_until"),
    "notify_attempts": (EmailKind.OUTCOME, "attempts"),
    "reminded_at": (EmailKind.REMINDER, "sent_at"),
    "remind_claimed_until": (EmailKind.REMINDER, "claimed_until"),
    "remind_attempts": (EmailKind.REMINDER, "attempts"),
}


def owe_emails(export: ExportRequest, **fields: Any) -> None:
    """The emails entering its state owed the export (exports.lifecycle.EMAILS_OWED), as if it
    had got there through the pipeline, with the bookkeeping `fields` name."""
    for kind in EMAILS_OWED.get(export.state, ()):
        values = {
            field: fields[name]
            for name, (email_kind, field) in EMAIL_FIELDS.items()
            if email_kind == kind and name in fields
        }
        ExportEmail.objects.update_or_create(export=export, kind=kind, defaults=values)


def email_of(export: ExportRequest, kind: str = EmailKind.OUTCOME) -> ExportEmail:
    """The export's email of `kind`, as stored now."""
    return ExportEmail.objects.get(export_id=export.pk, kind=kind)


def make_ready_export(user: AbstractBaseUser, content: bytes, **fields: Any) -> ExportRequest:
    """A READY export whose archive is in the default storage under its archive_key."""
    export = make_export(user, ExportState.READY, next_step_at=None, **fields)
    key = archive_key(user.pk, export.pk)
    default_storage.save(key, ContentFile(content))
    export.archive_key = key
    export.archive_size = len(content)
    export.archive_sha256 = hashlib.sha256(content).hexdigest()
    export.archive_entries = 1
    export.ready_at = timezone.now()
    export.retention_until = timezone.now() + dt.timedelta(days=7)
    export.save()
    return export


# TikTok's payloads (tiktok-api.md §1.4, §1.7, §1.9, §2) -------------------------------------


def envelope(code: str = "ok", message: str = "", data: dict | None = None) -> dict:
    """The v2 resource APIs' body: `data` and an `error` object."""
    return {
        "data": data if data is not None else {},
        "error": {"code": code, "message": message, "log_id": "202401252309330101LOGID"},
    }


def raw_ok_body(request_id_literal: str) -> str:
    """A successful Add Data Request body written out by hand, so that the request_id reaches
    the client exactly as given (no JSON encoder in between)."""
    error = '{"code": "ok", "message": "", "log_id": "202401252309330101LOGID"}'
    return f'{{"data": {{"request_id": {request_id_literal}}}, "error": {error}}}'


def oauth_error(error: str, description: str = "") -> dict:
    """The token endpoint's flat error."""
    return {
        "error": error,
        "error_description": description,
        "log_id": "202206221854370101130062072500FFA2",
    }


def token_response(
    access_token: str, refresh_token: str, scope: str = "user.info.basic,portability.all.ongoing"
) -> dict:
    return {
        "access_token": access_token,
        "expires_in": 7200,
        "open_id": "open-ana",
        "refresh_expires_in": 15552000,
        "refresh_token": refresh_token,
        "scope": scope,
        "token_type": "Bearer",
    }


def check_data(status: str, request_id: int = BIG_REQUEST_ID) -> dict:
    return {
        "apply_time": 1703186989,
        "category_selection_list": ["all_data"],
        "collect_time": 1703187862,
        "data_format": "json",
        "request_id": request_id,
        "status": status,
    }


def make_zip(size: int = 4096, *, members: int = 2) -> bytes:
    """A genuine export-like zip of about `size` bytes (stored, so its size is predictable)."""
    buffer = io.BytesIO()
    per_member = max(1, size // members)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for number in range(members):
            seed = hashlib.sha256(str(number).encode()).digest()
            payload = (seed * (per_member // len(seed) + 1))[:per_member]
            archive.writestr(f"TikTok_Data_{number}.json", payload)
    return buffer.getvalue()


def flip_one_byte(data: bytes, at: int | None = None) -> bytes:
    """The same bytes with one of them changed, in the middle of the first member's data."""
    position = len(data) // 4 if at is None else at
    return data[:position] + bytes([data[position] ^ 0xFF]) + data[position + 1 :]


def sign_webhook(body: bytes, timestamp: int, secret: str = CLIENT_SECRET) -> str:
    """`TikTok-Signature` as tiktok-api.md §2.11 describes it."""
    signature = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},s={signature}"


def spool_files(storage_dir: Path) -> list[Path]:
    """Partial copies (written beside their final name until the archive checks out)."""
    return sorted(storage_dir.rglob(".*.partial")) if storage_dir.exists() else []


def stored_files(media_dir: Path) -> list[Path]:
    return sorted(p for p in media_dir.rglob("*") if p.is_file()) if media_dir.exists() else []
