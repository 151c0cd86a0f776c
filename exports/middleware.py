"""Dates in the person's own time zone.

TikTok tells us nothing about where a person is, and the site asks for no more than it needs, so
the browser says it: static/js/timezone.js puts the IANA name its clock uses
(`Intl.DateTimeFormat().resolvedOptions().timeZone`) in the `tz` cookie. Without the cookie
(no JavaScript, the first page of a visit) dates are in settings.TIME_ZONE.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import cache, lru_cache
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

TIME_ZONE_COOKIE = "tz"


@cache
def _zone_names() -> frozenset[str]:
    # available_timezones() walks the zone database on disk at every call: once per process.
    return frozenset(zoneinfo.available_timezones())


@lru_cache(maxsize=512)
def time_zone_named(name: str) -> zoneinfo.ZoneInfo | None:
    """The time zone an IANA name stands for, or None for anything else: the cookie is the
    visitor's to write, so it is looked up in the zone database and nowhere else."""
    if not name or len(name) > 64 or name not in _zone_names():
        return None
    return zoneinfo.ZoneInfo(name)


class BrowserTimeZoneMiddleware:
    """Activates the time zone the browser reported for the rest of the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # site.js percent-encodes the name (Django does not decode cookies): "Europe%2FBerlin".
        zone = time_zone_named(unquote(request.COOKIES.get(TIME_ZONE_COOKIE, "")))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
