"""TikTok's webhooks: verified, acted on once, answered at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time

from django.db import IntegrityError, transaction
from django.utils import timezone

from exports import taskqueue
from exports.models import ExportRequest, ExportState, TikTokAccessRemoval, WebhookReceipt
from exports.services.disconnection import remove_access
from exports.services.pipeline import adopt_request
from exports.tiktok import InvalidSignatureError, verify_webhook_signature

logger = logging.getLogger(__name__)


class InvalidWebhookError(Exception):
    """Not a genuine TikTok webhook: bad or missing signature, too old, or not parseable."""


def handle_tiktok_webhook(raw_body: bytes, signature: str | None) -> str:
    """Verifies a webhook against the raw bytes and acts on it once (TikTok delivers at least
    once). Returns what happened, for the log. Raises InvalidWebhookError.

    portability.download.ready makes the export's check happen now instead of at its next poll;
    authorization.removed deletes the person's tokens and cancels their exports under way.
    """
    try:
        verify_webhook_signature(raw_body, signature, now=time.time())
        event = json.loads(raw_body)
        name = str(event["event"])
    except (InvalidSignatureError, ValueError, KeyError, TypeError) as error:
        raise InvalidWebhookError(str(error)) from None
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
    try:
        request_id = json.loads(event["content"])["request_id"]
    except (KeyError, TypeError, ValueError):
        return "no request_id"
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        return "no request_id"
    export_id = (
        ExportRequest.objects.filter(tiktok_request_id=request_id, state=ExportState.PROCESSING)
        .values_list("pk", flat=True)
        .first()
    )
    if export_id is None:
        return _adopt(request_id, str(event.get("user_openid") or ""))
    ExportRequest.objects.filter(pk=export_id, state=ExportState.PROCESSING).update(
        next_step_at=timezone.now()
    )
    taskqueue.enqueue(taskqueue.CHECK, export_id)
    return "checking now"


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
    try:
        reason = int(json.loads(event["content"])["reason"])
    except (KeyError, TypeError, ValueError):
        reason = TikTokAccessRemoval.Reason.UNKNOWN
    created = event.get("create_time")
    removed_at = (
        dt.datetime.fromtimestamp(created, tz=dt.UTC)
        if isinstance(created, int) and not isinstance(created, bool)
        else timezone.now()
    )
    return remove_access(open_id, reason, removed_at)
