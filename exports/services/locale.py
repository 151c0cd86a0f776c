"""The worker speaks to a person in their language and time zone.

The worker has no request to take them from, so an export keeps the ones its owner used when
asking for it (ExportRequest.language and .time_zone). The emails the worker
sends are written in them.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils import timezone, translation

from exports.middleware import time_zone_named
from exports.models import ExportRequest


@contextmanager
def owner_locale(export_id: uuid.UUID | str) -> Iterator[None]:
    """Activates the language and time zone of the export's owner (the site's defaults for an
    export that is gone or kept none)."""
    language, zone = (
        ExportRequest.objects.filter(pk=export_id).values_list("language", "time_zone").first()
    ) or ("", "")
    known = {code for code, _name in settings.LANGUAGES}
    with (
        translation.override(language if language in known else settings.LANGUAGE_CODE),
        timezone.override(time_zone_named(zone) or settings.TIME_ZONE),
    ):
        yield


def in_owner_locale[**P, R](step: Callable[P, R]) -> Callable[P, R]:
    """Runs a worker step about one export (its first argument) in its owner's locale."""

    @functools.wraps(step)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with owner_locale(args[0]):  # type: ignore[arg-type]
            return step(*args, **kwargs)

    return run
