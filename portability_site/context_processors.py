"""What every page and email template may need to know about the site itself."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest | None = None) -> dict[str, object]:
    """The site's name and how long it keeps an archive: facts pages state, from settings."""
    return {
        "site_name": settings.SITE_NAME,
        "retention_days": settings.EXPORT_RETENTION_DAYS,
    }
