"""System checks of the sandbox's settings: a bad archive layout fails at start, not at the
first data request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from tiktok_sandbox.layouts import SWITCH_VALUES, ArchiveLanguage, ArchiveLayout, parse_switch


@register()
def check_archive_settings(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list:
    """``tiktok_sandbox.E001``: the ``TIKTOK_SANDBOX_ARCHIVE_*`` settings name known styles."""
    if not settings.TIKTOK_SANDBOX:
        return []
    errors = [
        _unknown(name, value, valid)
        for name, valid in (
            ("TIKTOK_SANDBOX_ARCHIVE_LAYOUT", ArchiveLayout.values),
            ("TIKTOK_SANDBOX_ARCHIVE_LANGUAGE", ArchiveLanguage.values),
        )
        if (value := getattr(settings, name)) and value not in valid
    ]
    try:
        parse_switch(settings.TIKTOK_SANDBOX_ARCHIVE_UNKNOWN_SECTION)
    except ValueError:
        value = settings.TIKTOK_SANDBOX_ARCHIVE_UNKNOWN_SECTION
        errors.append(_unknown("TIKTOK_SANDBOX_ARCHIVE_UNKNOWN_SECTION", value, SWITCH_VALUES))
    return errors


def _unknown(name: str, value: Any, valid: Sequence[str] | dict[str, bool]) -> Error:
    return Error(
        f"{name} is {value!r}, which the sandbox does not know.",
        hint=f"Leave it empty for each persona's default, or use one of: {', '.join(valid)}.",
        id="tiktok_sandbox.E001",
    )
