"""Limits on how often one person, or before sign-in one network address, may do what costs
TikTok calls or sends email: signing in, asking for exports, asking for an email again.

Counts are kept in fixed windows, each counted up by one atomic step so that a burst of
concurrent requests is counted exactly: in Redis when the cache is Django's Redis cache
(production), else in the database (the embedded setup, whose file cache cannot count: its
`incr` is a get and a set). The store being down lets requests through rather than failing
them: the limits protect TikTok and the mail server from floods, and an outage is no flood.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import OperationalError, connections, router
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exports.models import RateLimitCounter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimit:
    name: str
    limit: int
    window_seconds: int
    per_user: bool
    # What the person over the limit did, in their words: the 429 page opens with it.
    too_often: str


# Each sign-in costs a code exchange and a user info call at TikTok.
SIGN_IN = RateLimit(
    "sign-in",
    limit=20,
    window_seconds=15 * 60,
    per_user=False,
    # Counted per address (before sign-in there is no one else to count): "your network".
    too_often=_("Too many sign-in attempts came from your network in a short while."),
)
# Export requests are few by nature (one at a time per kind of data); more is a script gone wrong.
REQUEST_EXPORT = RateLimit(
    "request-export",
    limit=10,
    window_seconds=60 * 60,
    per_user=True,
    too_often=_("You asked for exports too often in a short while."),
)
# Every resend is an email to a real mailbox.
RESEND_EMAIL = RateLimit(
    "resend-email",
    limit=3,
    window_seconds=60 * 60,
    per_user=True,
    too_often=_("You asked for the email again too often in a short while."),
)


class CountersUnavailableError(Exception):
    """The store the counts live in cannot be reached (a real outage, not a bug)."""


class Counters(Protocol):
    def count(self, key: str, window: int, ends_at: int) -> int:
        """Counts one more hit on `key` in fixed window number `window`, which ends at the Unix
        time `ends_at`; returns the hits in that window so far, this one included. Raises
        CountersUnavailableError when the store is down."""

    def delete_expired(self, now: dt.datetime) -> int:
        """Deletes the counts of windows that ended before `now`; returns how many."""


class RedisCounters:
    """Counts in the Redis behind Django's RedisCache: one key per window, created with its
    expiry and counted up in the same MULTI, so later hits never extend it (Django's own
    `add` + `incr` is three round trips, and its `incr` can recreate a key that has just
    expired without any expiry)."""

    def __init__(self, backend: RedisCache) -> None:
        self.backend = backend

    def count(self, key: str, window: int, ends_at: int) -> int:
        redis_key = self.backend.make_key(f"{key}:{window}")
        expires_in = max(1, math.ceil(ends_at - time.time()))
        try:
            # Django's RedisCache has no public door to its client, and INCR needs one.
            client = self.backend._cache.get_client(redis_key, write=True)
            pipeline = client.pipeline(transaction=True)
            pipeline.set(redis_key, 0, ex=expires_in, nx=True)
            pipeline.incr(redis_key)
            _created, hits = pipeline.execute()
        except (redis.ConnectionError, redis.TimeoutError) as outage:
            raise CountersUnavailableError(str(outage)) from outage
        return int(hits)

    def delete_expired(self, now: dt.datetime) -> int:
        return 0  # Redis expires the keys itself


class DatabaseCounters:
    """Counts in the RateLimitCounter table: one row per limit and caller, counted up (or
    started again in a new window) by one upsert, atomic on PostgreSQL and SQLite (3.35+, for
    RETURNING). On SQLite concurrent writers wait their turn (the settings' busy timeout)."""

    # Longer keys (an odd X-Forwarded-For entry) are counted under their digest.
    MAX_KEY_LENGTH = RateLimitCounter._meta.get_field("key").max_length or 255

    def count(self, key: str, window: int, ends_at: int) -> int:
        if len(key) > self.MAX_KEY_LENGTH:
            key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
        connection = connections[router.db_for_write(RateLimitCounter)]
        expires_at = dt.datetime.fromtimestamp(ends_at, tz=dt.UTC)
        params = [key, window, connection.ops.adapt_datetimefield_value(expires_at)]
        try:
            with connection.cursor() as cursor:
                cursor.execute(_upsert_sql(connection.ops.quote_name), params)
                (hits,) = cursor.fetchone()
        except OperationalError as outage:
            raise CountersUnavailableError(str(outage)) from outage
        return int(hits)

    def delete_expired(self, now: dt.datetime) -> int:
        deleted, _by_model = RateLimitCounter.objects.filter(expires_at__lt=now).delete()
        return deleted


def _upsert_sql(quote: Callable[[str], str]) -> str:
    """The counting statement; every name in it comes from the model, quoted by `quote`."""
    meta = RateLimitCounter._meta
    table = quote(meta.db_table)
    key, window, count, expires_at = (
        quote(meta.get_field(name).column) for name in ("key", "window", "count", "expires_at")
    )
    # Nothing from a request is formatted in: the names are the model's, the values parameters.
    return (
        f"INSERT INTO {table} ({key}, {window}, {count}, {expires_at}) "  # noqa: S608
        f"VALUES (%s, %s, 1, %s) "
        f"ON CONFLICT ({key}) DO UPDATE SET "
        f"{count} = CASE WHEN {table}.{window} = excluded.{window} "
        f"THEN {table}.{count} + 1 ELSE 1 END, "
        f"{window} = excluded.{window}, {expires_at} = excluded.{expires_at} "
        f"RETURNING {count}"
    )


DATABASE_COUNTERS = DatabaseCounters()


def counters() -> Counters:
    """Where the limits count: the one place that chooses (no caller asks which)."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return RedisCounters(backend)
    return DATABASE_COUNTERS


def delete_expired_rate_limit_counters(now: dt.datetime) -> int:
    """Deletes the counts of windows that ended before `now` (the sweep calls it); returns how
    many. Idempotent; nothing to do when the counts live in Redis, which expires them itself."""
    return counters().delete_expired(now)


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
    """Counts one attempt by `who`. Returns None while within the limit (or when the counts
    cannot be reached), else how many seconds remain until the window ends."""
    now = int(time.time())
    window = now // limit.window_seconds
    ends_at = (window + 1) * limit.window_seconds
    try:
        hits = counters().count(f"ratelimit:{limit.name}:{who}", window, ends_at)
    except CountersUnavailableError as outage:  # let the request through (module docstring)
        logger.warning("Rate limit %s not checked: %s", limit.name, outage)
        return None
    if hits <= limit.limit:
        return None
    return ends_at - now


def rate_limited(limit: RateLimit) -> Callable:
    """A view decorator for pages: over the limit, the person gets a 429 page saying what they
    did too often and when they can try again (Retry-After says it to programs). The task API
    counts the same limits with `seconds_to_wait` and answers in its own JSON."""

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
                {
                    "limit": limit,
                    "minutes": max(1, -(-wait // 60)),
                    "retry_at": timezone.now() + dt.timedelta(seconds=wait),
                },
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response

        return wrapped

    return decorator
