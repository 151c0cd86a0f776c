"""Verifying TikTok's webhooks (tiktok-api.md §2.11)."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from exports.tiktok.errors import InvalidSignatureError


def verify_webhook_signature(raw_body: bytes, header: str | None, *, now: float) -> None:
    """Checks `TikTok-Signature: t=<unix ts>,s=<hex>` (tiktok-api.md §2.11): s must be
    HMAC-SHA256 under the client secret of f"{t}.{raw body}", and t within
    TIKTOK_WEBHOOK_TOLERANCE seconds of `now`. Raises InvalidSignatureError."""
    parts = dict(item.split("=", 1) for item in (header or "").split(",") if item.count("=") == 1)
    timestamp, signature = parts.get("t", "").strip(), parts.get("s", "").strip()
    if not timestamp.isdigit() or not signature:
        raise InvalidSignatureError("missing or malformed signature")
    expected = hmac.new(
        settings.TIKTOK_CLIENT_SECRET.encode(), timestamp.encode() + b"." + raw_body, hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise InvalidSignatureError("signature does not match")
    if abs(now - int(timestamp)) > settings.TIKTOK_WEBHOOK_TOLERANCE:
        raise InvalidSignatureError("signature timestamp too old")
