"""TikTok's webhooks: verified, acted on once, answered at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from exports.models import ExportRequest, ExportState, TikTokAccessRemoval, WebhookReceipt
from exports.services.disconnection import remove_access
from exports.services.pipeline import adopt_request, check_now
from exports.tiktok import InvalidSignatureError, verify_webhook_signature

logger = logging.getLogger(__name__)


class InvalidWebhookError(Exception):
    """Not a genuine TikTok webhook: bad or missing signature, or too old."""


class UnreadableWebhookError(InvalidWebhookError):
    """Genuinely signed, but not a webhook this site can read (not JSON, nested past any real
    event, not an object with an event name)."""


def handle_tiktok_webhook(raw_body: bytes, signature: str | None) -> str:
    """Verifies a webhook against the raw bytes and acts on it once (TikTok delivers at least
    once). Returns what happened, for the log. Raises InvalidWebhookError.

    portability.download.ready makes the export's check happen now instead of at its next poll;
    authorization.removed deletes the person's tokens and cancels their exports under way.
    """
    try:
        verify_webhook_signature(raw_body, signature, now=time.time())
    except InvalidSignatureError as error:
        raise InvalidWebhookError(str(error)) from None
    event = _json_or_none(raw_body)
    if not isinstance(event, dict) or not isinstance(event.get("event"), str):
        raise UnreadableWebhookError("not a JSON object with an event name")
    name = event["event"]
    try:
        with transaction.atomic():
            WebhookReceipt.objects.create(
                digest=hashlib.sha256(raw_body).hexdigest(), event=name[:64]
            )
            outcome = _act_on(name, event)
    except IntegrityError:
        return "duplicate"
    logger.info("TikTok webhook %s: %s", name, outcome)
    return outcome


def _act_on(name: str, event: dict) -> str:
    if name == "authorization.removed":
        return _access_removed(event)
    if name != "portability.download.ready":
        return "ignored"
    request_id = _content(event).get("request_id")
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        return "no request_id"
    export_id = (
        ExportRequest.objects.filter(tiktok_request_id=request_id, state=ExportState.PROCESSING)
        .values_list("pk", flat=True)
        .first()
    )
    if export_id is None:
        return _adopt(request_id, str(event.get("user_openid") or ""))
    return "checking now" if check_now(export_id) else "no longer waiting on TikTok"


def _json_or_none(text: str | bytes) -> Any:
    """The JSON value of `text`, or None for anything that is not JSON (or nests so deep that
    reading it would exhaust the stack)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _content(event: dict) -> dict:
    """The event's `content`: JSON serialised as a string, so parsed a second time."""
    content = event.get("content")
    value = _json_or_none(content) if isinstance(content, str | bytes) else None
    return value if isinstance(value, dict) else {}


def _adopt(request_id: int, open_id: str) -> str:
    """A request we never heard TikTok's answer about (exports.services.pipeline.submit_export
    waits for this): the person's export still waiting for confirmation takes it."""
    if not open_id or ExportRequest.objects.filter(tiktok_request_id=request_id).exists():
        return "unknown request"
    waiting = (
        ExportRequest.objects.filter(
            user__tiktok_authorization__open_id=open_id,
            state=ExportState.REQUESTED,
            add_unconfirmed_at__isnull=False,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)
        .first()
    )
    if waiting is not None and adopt_request(waiting, request_id):
        return "request adopted"
    return "unknown request"


def _access_removed(event: dict) -> str:
    """The person removed the site's access at TikTok, or TikTok removed it for them."""
    open_id = str(event.get("user_openid") or "")
    if not open_id:
        return "no user_openid"
    reason = _content(event).get("reason")
    if not isinstance(reason, int) or isinstance(reason, bool):
        reason = TikTokAccessRemoval.Reason.UNKNOWN
    created = event.get("create_time")
    removed_at = (
        dt.datetime.fromtimestamp(created, tz=dt.UTC)
        if isinstance(created, int) and not isinstance(created, bool)
        else timezone.now()
    )
    return remove_access(open_id, reason, removed_at)
