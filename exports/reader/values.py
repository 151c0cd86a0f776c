"""The values inside an export: dates in every form TikTok has written them, the many ways of
saying "empty", and a record's fields under the site's names."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from exports.reader.catalog import DATE_KEYS, EMPTY_AS_WRITTEN, EMPTY_VALUES, Dataset, spelling

_EPOCH = re.compile(r"^\d{10}(\d{3})?$")
# A date at the start of a value: "2024-11-02 10:11:12", "2024-11-02T10:11:12Z", "… UTC".
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")
_SPELLED_DATE_KEYS = tuple(spelling(key) for key in DATE_KEYS)
# Earlier than TikTok, later than anyone's export: an epoch number outside is not a date.
_FIRST_YEAR, _LAST_YEAR = 2014, 2100
_LONGEST_EMPTY = 12


def parse_date(raw: object) -> dt.datetime | None:
    """The UTC moment `raw` names, or None when it names none.

    TikTok writes `2024-11-02 10:11:12` (no zone: it is UTC), sometimes with ` UTC`, once in
    a while ISO with `Z` or an offset; some tools meet epoch seconds or milliseconds."""
    if (
        raw.__class__ is str
        and raw[10:11] == " "
        and (len(raw) == 19 or (len(raw) == 23 and raw.endswith(" UTC")))
    ):
        # TikTok's own forms (text exports add " UTC"), nearly every date of a big export.
        try:
            return dt.datetime.fromisoformat(raw[:19] + "+00:00")
        except ValueError:
            return None
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int | float) or (isinstance(raw, str) and _EPOCH.match(raw)):
        return _from_epoch(float(raw))
    if not isinstance(raw, str) or not _DATE_LIKE.match(raw):
        return None
    text = raw.strip().removesuffix("UTC").removesuffix("utc").strip()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _from_epoch(seconds: float) -> dt.datetime | None:
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    try:
        moment = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment if _FIRST_YEAR <= moment.year < _LAST_YEAR else None


def is_empty(value: Any) -> bool:
    """Whether `value` holds nothing: null, an empty container, a placeholder string such as
    `N/A`, `n.v.t.` or `None`, or a container of nothing but those."""
    if value.__class__ is str:
        # A placeholder as TikTok writes it is found at once; no placeholder is longer than
        # "n.v.t." padded, so real values are not spelled out.
        return value in EMPTY_AS_WRITTEN or (
            len(value) <= _LONGEST_EMPTY and spelling(value) in EMPTY_VALUES
        )
    if value is None:
        return True
    if isinstance(value, Mapping):
        return all(is_empty(item) for item in value.values())
    if isinstance(value, list | tuple):
        return all(is_empty(item) for item in value)
    return False


class FieldNames:
    """A data set's raw keys under the site's names (`link`, `username`, …), remembered per
    key: the same few keys come back millions of times in a big export."""

    def __init__(self, dataset: Dataset) -> None:
        self._aliases = {
            spelling(alias): name for name, keys in dataset.fields.items() for alias in keys
        }
        # raw key -> (name, date priority: lower wins, -1 for a key that is not a date)
        self.known: dict[str, tuple[str, int]] = {}

    NO_DATE = len(_SPELLED_DATE_KEYS)

    def name_of(self, key: str) -> tuple[str, int]:
        """(the site's name for `key`, its priority as the record's date: lower wins, -1 for a
        key that is not a date)."""
        known = self.known.get(key)
        if known is None:
            known = self.known[key] = self._name_of(key)
        return known

    def split(self, raw_fields: Mapping[str, Any]) -> tuple[str, dt.datetime | None, dict]:
        """(raw date string, its UTC moment, the other fields under the site's names). The
        date is the record's first date key in any language; empty values are left out, and
        fields the catalog does not name keep TikTok's key."""
        fields: dict[str, Any] = {}
        raw_date, date_value, priority = "", None, len(_SPELLED_DATE_KEYS)
        known_names, name_of = self.known, self.name_of
        for key, value in raw_fields.items():
            name, date_priority = known_names.get(key) or name_of(key)
            # Most values are long strings: certainly not a placeholder, no call needed.
            if not (value.__class__ is str and len(value) > _LONGEST_EMPTY) and is_empty(value):
                continue
            if date_priority >= 0:
                if date_priority < priority:
                    raw_date, date_value, priority = str(value), value, date_priority
            elif name not in fields:
                fields[name] = value
        return raw_date, (parse_date(date_value) if raw_date else None), fields

    def _name_of(self, key: str) -> tuple[str, int]:
        spelled = spelling(key)
        if spelled in _SPELLED_DATE_KEYS:
            return key, _SPELLED_DATE_KEYS.index(spelled)
        return self._aliases.get(spelled, key), -1


def iso_utc(moment: dt.datetime | None) -> str | None:
    """`moment` as ISO 8601 in UTC with a `Z` (`2024-11-02T10:11:12Z`); None stays None."""
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None
