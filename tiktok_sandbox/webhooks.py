"""Webhooks: TikTok's signed POSTs to the app's callback URL (tiktok-api.md §2.11).

Every event is a ``WebhookDelivery`` row holding the exact body. Scheduling one starts, once the
surrounding transaction commits, a daemon thread that waits until the row is due and then calls
``deliver``; the request that caused the event never waits for it. ``deliver`` is a plain
function, so a test can call it directly instead.

Each attempt is signed afresh: ``TikTok-Signature: t=<unix time>,s=<hex HMAC-SHA256 of
f"{t}.{body}" keyed with the client secret>``. Anything but a 2xx is retried with exponential
backoff (1 s, 2 s, 4 s, ...) up to ``MAX_ATTEMPTS`` attempts: TikTok retries for 72 hours, which a
sandbox has no use for.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import requests
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from tiktok_sandbox import registration
from tiktok_sandbox.models import (
    DeliveryState,
    Grant,
    PortabilityRequest,
    RequestStatus,
    WebhookDelivery,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_BACKOFF = 1.0  # seconds before the second attempt; doubled before each further one
TIMEOUT = (5.0, 10.0)  # connect, read
SIGNATURE_HEADER = "TikTok-Signature"
# authorization.removed reasons (tiktok-api.md §2.11).
REASON_UNKNOWN = 0
REASON_USER_DISCONNECTED = 1
REASON_ACCOUNT_DELETED = 2
REASON_AGE_CHANGED = 3
REASON_ACCOUNT_BANNED = 4
REASON_DEVELOPER_REVOKED = 5

Sleep = Callable[[float], None]


def webhook_url() -> str:
    """The app's callback URL: the setting, or this site's own endpoint under SITE_URL."""
    return settings.TIKTOK_SANDBOX_WEBHOOK_URL or settings.SITE_URL + "/webhooks/tiktok/"


def signature(body: bytes, timestamp: int, secret: str) -> str:
    """The ``TikTok-Signature`` header value for ``body`` sent at ``timestamp``."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},s={digest}"


def schedule_download_ready(data_request: PortabilityRequest) -> WebhookDelivery:
    """Schedule ``portability.download.ready`` for when ``data_request`` becomes ready.

    Skipped when due if the request was cancelled by then.
    """
    content = json.dumps({"request_id": data_request.request_id}, separators=(",", ":"))
    return _schedule(
        WebhookEvent.DOWNLOAD_READY,
        client_key=data_request.client_key,
        open_id=data_request.open_id,
        content=content,
        due_at=data_request.ready_at,
        data_request=data_request,
    )


def authorization_removed(grant: Grant, reason: int) -> WebhookDelivery:
    """Schedule ``authorization.removed`` with ``reason`` for ``grant``'s person, due now.

    The caller has revoked the grant already: TikTok sends the event after the token is dead.
    """
    return _schedule(
        WebhookEvent.AUTHORIZATION_REMOVED,
        client_key=grant.client_key,
        open_id=grant.open_id,
        content=json.dumps({"reason": reason}, separators=(",", ":")),
        due_at=timezone.now(),
    )


def remove_authorization(open_id: str, reason: int = REASON_USER_DISCONNECTED) -> int:
    """Revoke every live grant of ``open_id`` and tell the app with ``authorization.removed``.

    Simulates the person disconnecting the app at TikTok (reason 1) or any other ``REASON_*``.
    Returns how many grants were revoked; sends one event per grant revoked, none if none were.
    """
    now = timezone.now()
    with transaction.atomic():
        live = list(Grant.objects.select_for_update().filter(open_id=open_id, revoked_at=None))
        Grant.objects.filter(pk__in=[grant.pk for grant in live]).revoke(now)
        for grant in live:
            authorization_removed(grant, reason)
    return len(live)


def skip_scheduled(data_request: PortabilityRequest) -> int:
    """Drop the not yet sent webhooks of ``data_request``; return how many were dropped."""
    return WebhookDelivery.objects.filter(
        data_request=data_request, state=DeliveryState.SCHEDULED
    ).update(state=DeliveryState.SKIPPED)


def deliver(delivery_id: int, *, sleep: Sleep = time.sleep) -> WebhookDelivery | None:
    """Send the scheduled delivery ``delivery_id``, retrying until a 2xx; return the row.

    Waits (with ``sleep``) until the row is due. Claims it first, so it is sent at most once
    however many callers race; a row that is not scheduled any more is returned untouched, a
    missing one gives None. A ready event whose request was cancelled meanwhile is skipped.
    Records every attempt on the row; ends ``delivered`` or, after ``MAX_ATTEMPTS``, ``failed``.
    """
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        return None
    if (wait := (delivery.due_at - timezone.now()).total_seconds()) > 0:
        _release_connection()
        sleep(wait)
    claimed = WebhookDelivery.objects.filter(pk=delivery_id, state=DeliveryState.SCHEDULED).update(
        state=DeliveryState.SENDING
    )
    # Reloaded: it may have been skipped, sent by another caller, or deleted meanwhile.
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None or not claimed:
        return delivery
    if _moot(delivery):
        return _finish(delivery, DeliveryState.SKIPPED)
    for attempt in range(MAX_ATTEMPTS):
        _release_connection()
        if attempt:
            sleep(FIRST_BACKOFF * 2 ** (attempt - 1))
        if _attempt(delivery):
            return _finish(delivery, DeliveryState.DELIVERED)
    return _finish(delivery, DeliveryState.FAILED)


def _schedule(
    event: str,
    *,
    client_key: str,
    open_id: str,
    content: str,
    due_at: datetime,
    data_request: PortabilityRequest | None = None,
) -> WebhookDelivery:
    body = {
        "client_key": client_key,
        "event": event,
        "create_time": int(due_at.timestamp()),
        "user_openid": open_id,
        "content": content,
    }
    delivery = WebhookDelivery.objects.create(
        event=event,
        client_key=client_key,
        open_id=open_id,
        data_request=data_request,
        url=webhook_url(),
        body=json.dumps(body, separators=(",", ":")),
        due_at=due_at,
    )
    transaction.on_commit(lambda: _start_thread(delivery.pk))
    return delivery


def _start_thread(delivery_id: int) -> None:
    thread = threading.Thread(
        target=_deliver_in_thread, args=(delivery_id,), name=f"webhook-{delivery_id}", daemon=True
    )
    thread.start()


def _deliver_in_thread(delivery_id: int) -> None:
    try:
        deliver(delivery_id)
    except Exception:  # a daemon thread has no caller to raise to: log it instead
        logger.exception("Webhook delivery %s failed", delivery_id)
    finally:
        connection.close()


def _release_connection() -> None:
    """Close this thread's database connection before waiting on the clock or the network.

    An idle connection serves nobody meanwhile, and would keep a test database from being
    dropped. Inside a transaction (a test calling ``deliver`` directly) it must stay open.
    """
    if not connection.in_atomic_block:
        connection.close()


def _moot(delivery: WebhookDelivery) -> bool:
    """Whether the event is no longer true: its request was cancelled before it was ready."""
    if delivery.data_request_id is None:
        return False
    data_request = PortabilityRequest.objects.filter(pk=delivery.data_request_id).first()
    return data_request is None or data_request.status(timezone.now()) == RequestStatus.CANCELLED


def _attempt(delivery: WebhookDelivery) -> bool:
    """POST the delivery once, record the outcome on the row, return whether it was a 2xx."""
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(body, int(time.time()), registration.client_secret()),
    }
    outcome: dict[str, Any] = {"last_status_code": None, "last_error": ""}
    try:
        response = requests.post(
            delivery.url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False
        )
    except requests.RequestException as exc:
        outcome["last_error"] = f"{type(exc).__name__}: {exc}"[:1000]
    else:
        outcome["last_status_code"] = response.status_code
        if not 200 <= response.status_code < 300:
            outcome["last_error"] = f"HTTP {response.status_code}"
    delivery.attempts += 1
    delivery.last_attempt_at = timezone.now()
    for name, value in outcome.items():
        setattr(delivery, name, value)
    delivery.save(update_fields=["attempts", "last_attempt_at", *outcome])
    return not outcome["last_error"]


def _finish(delivery: WebhookDelivery, state: str) -> WebhookDelivery:
    delivery.state = state
    fields = ["state"]
    if state == DeliveryState.DELIVERED:
        delivery.delivered_at = timezone.now()
        fields.append("delivered_at")
    delivery.save(update_fields=fields)
    return delivery
