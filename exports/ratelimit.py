"""Limits on how often one person, or before sign-in one network address, may do what costs
TikTok calls or sends email: signing in, asking for exports, asking for an email again.

Counts live in the shared cache (Redis in production) in fixed windows. The cache being down
lets requests through rather than failing them: the limits protect TikTok and the mail server
from floods, and a cache outage is no flood.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimit:
    name: str
    limit: int
    window_seconds: int
    per_user: bool


# Each sign-in costs a code exchange and a user info call at TikTok.
SIGN_IN = RateLimit("sign-in", limit=20, window_seconds=15 * 60, per_user=False)
# Export requests are few by nature (one at a time per kind of data); more is a script gone wrong.
REQUEST_EXPORT = RateLimit("request-export", limit=10, window_seconds=60 * 60, per_user=True)
# Every resend is an email to a real mailbox.
RESEND_EMAIL = RateLimit("resend-email", limit=3, window_seconds=60 * 60, per_user=True)


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address
    the outermost of them saw (X-Forwarded-For counted from the right, so a client cannot pick
    it by sending the header itself). IPv6 clients count by /64, which one household holds."""
    address = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def seconds_to_wait(limit: RateLimit, who: str) -> int | None:
    """Counts one attempt by `who`. Returns None while within the limit, else how many seconds
    remain until the window ends."""
    now = int(time.time())
    window = now // limit.window_seconds
    key = f"ratelimit:{limit.name}:{who}:{window}"
    try:
        cache.add(key, 0, timeout=limit.window_seconds + 60)
        try:
            count = cache.incr(key)
        except ValueError:  # the key expired between add and incr
            cache.set(key, 1, timeout=limit.window_seconds + 60)
            count = 1
    except Exception:  # the cache is down: let the request through (see the module docstring)
        logger.warning("Rate limit %s not checked: the cache is unavailable", limit.name)
        return None
    if count <= limit.limit:
        return None
    return (window + 1) * limit.window_seconds - now


def rate_limited(limit: RateLimit) -> Callable:
    """A view decorator: over the limit, the person gets a 429 page saying how long to wait."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if limit.per_user and request.user.is_authenticated:
                who = f"user:{request.user.pk}"
            else:
                who = f"address:{client_address(request)}"
            wait = seconds_to_wait(limit, who)
            if wait is None:
                return view(request, *args, **kwargs)
            logger.info("Rate limit %s reached by %s", limit.name, who)
            response = render(
                request,
                "exports/rate_limited.html",
                {"minutes": max(1, -(-wait // 60))},
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response

        return wrapped

    return decorator
