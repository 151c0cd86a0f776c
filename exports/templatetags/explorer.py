"""Template filters of the explorer's pages."""

from __future__ import annotations

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def number(value: object) -> str:
    """A count or an amount as the page's language writes it, thousands grouped ("12,345",
    "12.345", "12 345"); integers without decimals, others with one."""
    if value is None or value == "":
        return ""
    try:
        amount = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if amount.is_integer():
        return formats.number_format(int(amount), use_l10n=True, force_grouping=True)
    return formats.number_format(round(amount, 1), 1, use_l10n=True, force_grouping=True)
