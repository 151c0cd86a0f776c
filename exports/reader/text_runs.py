"""Runs of text blocks that share one shape, read a column at a time.

A text export's big files repeat one block millions of times:

    Date: 2025-12-31 20:18:12 UTC
    Link: https://www.tiktokv.com/share/video/7483300488189503192/
    Title: N/A

Read line by line in Python, each line costs a partition, a lookup, a strip and a test for a
placeholder. Here the lines of a run of such blocks are taken a column at a time (every 4th
line from the first `Date:` on) and each step runs over a whole column in C: slicing, strip,
the date's parse, the fields' dicts, the records. Python touches only the short values, to see
which are placeholders. The result is exactly what the line-by-line reader gives for the same
blocks (tests/reader/test_text_runs.py holds the two against each other).

Only a plain shape is read this way: every line `Key: value` with a space after the colon,
the keys naming different fields, at most one of them a date. Anything else (a value over
several lines, a `Key:` with nothing, a conversation's heading, a line of spaces, a second date
key) ends the run, and the line-by-line reader takes that block.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from itertools import compress, count, repeat

from exports.reader.catalog import spelling
from exports.reader.records import Record, make_record
from exports.reader.values import FieldNames, is_empty, parse_date

# A key longer than this is not a key: the line is part of a value (the line-by-line rule).
LONGEST_KEY = 80
# Longer than any placeholder ("N/A", "n.v.t.", …): certainly not empty.
SHORT = 12
# Blocks looked at in one go when measuring a run; doubled while the run goes on, so that a
# short run costs little and a long one few steps.
_FIRST_WINDOW = 16
_DUTCH_DATE_KEY = spelling("Datum")
_TEXT_DATE_LENGTH = len("2025-12-31 20:18:12 UTC")
_is_short = SHORT.__ge__
_tenth = operator.itemgetter(10)
_from_iso: Callable[[str], dt.datetime] = dt.datetime.fromisoformat


def plain_keys(lines: list[str]) -> tuple[str, ...] | None:
    """The keys of `lines` if they are one plain block, every line `Key: value` with a space
    after the colon and the key a key by the line-by-line rule; otherwise None."""
    keys = []
    for line in lines:
        key, _colon, value = line.partition(":")
        if not key or len(key) > LONGEST_KEY or value[:1] != " ":
            return None
        keys.append(key)
    return tuple(keys) if keys else None


class BlockShape:
    """One shape of plain block, its keys in order, and how to read runs of it."""

    def __init__(self, keys: tuple[str, ...], names: FieldNames) -> None:
        self.keys = keys
        self.period = len(keys) + 1  # the block's lines and the blank line after it
        self.prefixes = tuple(f"{key}: " for key in keys)
        self._line_starts = tuple(f"\n{prefix}" for prefix in self.prefixes)
        self._values_of = tuple(operator.itemgetter(slice(len(key) + 1, None)) for key in keys)
        named = [names.name_of(key.strip()) for key in keys]
        dates = [column for column, (_name, priority) in enumerate(named) if priority >= 0]
        self.date_column = dates[0] if dates else None
        self.field_columns = tuple(c for c in range(len(keys)) if c != self.date_column)
        self.field_names = tuple(named[c][0] for c in self.field_columns)
        self.dutch = self.date_column is not None and (
            spelling(keys[self.date_column]) == _DUTCH_DATE_KEY
        )
        # One date key at most and every field its own name: then each block's record is its
        # columns' values, with no rule of which key wins.
        self.readable = len(dates) <= 1 and len(set(self.field_names)) == len(self.field_names)

    def run_length(self, lines: list[str], start: int, end: int) -> int:
        """How many blocks of this shape follow one another from `lines[start]`, before `end`
        or the first line that does not fit."""
        found, window = 0, _FIRST_WINDOW
        while True:
            most = min(window, (end - start) // self.period)
            if most <= 0:
                return found
            fitting = self._fitting(lines, start, most)
            found += fitting
            if fitting < most:
                return found
            start += fitting * self.period
            window *= 2

    def _fitting(self, lines: list[str], start: int, most: int) -> int:
        """Of the `most` blocks from `lines[start]`, how many in a row fit the shape."""
        if self._all_fit(lines, start, most):
            return most
        period, fitting = self.period, most
        for column, prefix in enumerate(self.prefixes):
            if not fitting:
                return 0
            stop = start + fitting * period
            fits = map(str.startswith, lines[start + column : stop : period], repeat(prefix))
            fitting = next(compress(count(), map(operator.not_, fits)), fitting)
        stop = start + fitting * period
        # The blank line after each block: the first line with anything on it ends the run.
        return next(compress(count(), lines[start + len(self.keys) : stop : period]), fitting)

    def _all_fit(self, lines: list[str], start: int, most: int) -> bool:
        """Whether all `most` blocks from `lines[start]` fit, found by counting: a column's
        lines joined by line breaks hold "\\nKey: " once per line but the first, and the blank
        lines joined hold nothing. Quicker than a test per line."""
        stop, period = start + most * self.period, self.period
        for column, prefix in enumerate(self.prefixes):
            column_lines = lines[start + column : stop : period]
            if not column_lines[0].startswith(prefix):
                return False
            if "\n".join(column_lines).count(self._line_starts[column]) != most - 1:
                return False
        return not "".join(lines[start + len(self.keys) : stop : period])

    def read(
        self, lines: list[str], start: int, blocks: int, *, dataset: str, path: str, group: dict
    ) -> tuple[list[Record], bool]:
        """The records of `blocks` blocks of this shape from `lines[start]` (run_length's
        count), and whether any of them has a date."""
        stop, period = start + blocks * self.period, self.period
        columns = [
            list(map(str.strip, map(value_of, lines[start + column : stop : period])))
            for column, value_of in enumerate(self._values_of)
        ]
        empties = [_placeholders(values) for values in columns]
        if self.date_column is None:
            raw_dates: list[str] = [""] * blocks
            moments: list[dt.datetime | None] = [None] * blocks
        else:
            raw_dates = columns[self.date_column]
            for index in empties[self.date_column]:
                raw_dates[index] = ""
            moments = _moments(raw_dates)
        names, values = self.field_names, [columns[c] for c in self.field_columns]
        if group:
            ((group_key, group_value),) = group.items()
            names, values = (group_key, *names), [repeat(group_value, blocks), *values]
        fields = _dicts(names, values, blocks)
        for name, column in zip(self.field_names, self.field_columns, strict=True):
            for index in empties[column]:
                del fields[index][name]
        records = list(
            map(make_record, zip(repeat(dataset), repeat(path), raw_dates, moments, fields))
        )
        # A block of nothing but placeholders is no record (the line-by-line rule).
        nothing = set.intersection(*map(set, empties)) if all(empties) else ()
        if nothing:
            records = [record for index, record in enumerate(records) if index not in nothing]
        return records, any(raw_dates)

    def fits_group(self, group: dict) -> bool:
        """Whether a conversation's name can stand beside this shape's fields: not if one of
        them has the same name (the line-by-line reader keeps the field's value then)."""
        return not group or not set(group) & set(self.field_names)


def _dicts(names: tuple[str, ...], columns: list, blocks: int) -> list[dict[str, object]]:
    """One dict per block, `names` to the columns' values. Written out up to four names: a
    dict display is twice as quick as dict(zip(names, values)), and nearly every shape has
    two or three fields."""
    match names:
        case ():
            return [{} for _ in range(blocks)]
        case (a,):
            return [{a: x} for x in columns[0]]
        case (a, b):
            return [{a: x, b: y} for x, y in zip(*columns, strict=True)]
        case (a, b, c):
            return [{a: x, b: y, c: z} for x, y, z in zip(*columns, strict=True)]
        case (a, b, c, d):
            return [{a: x, b: y, c: z, d: w} for x, y, z, w in zip(*columns, strict=True)]
    return list(map(dict, map(zip, repeat(names), zip(*columns, strict=True))))


def _placeholders(values: list[str]) -> list[int]:
    """The indexes of the values that say "empty" (`N/A`, `None`, nothing…): only the short
    ones are looked at, and none when every value is long (links, dates)."""
    if min(map(len, values)) > SHORT:
        return []
    short = compress(count(), map(_is_short, map(len, values)))
    return [index for index in short if is_empty(values[index])]


def _moments(raw_dates: list[str]) -> list[dt.datetime | None]:
    """The UTC moments of a column of dates. TikTok's text form (`2025-12-31 20:18:12 UTC`),
    when every date of the run has it, is parsed in one pass in C; any other, one by one."""
    if (
        set(map(len, raw_dates)) == {_TEXT_DATE_LENGTH}
        and all(map(str.endswith, raw_dates, repeat(" UTC")))
        and set(map(_tenth, raw_dates)) == {" "}
    ):
        try:
            with_zone = map(str.replace, raw_dates, repeat(" UTC"), repeat("+00:00"))
            return list(map(_from_iso, with_zone))
        except ValueError:
            pass  # a date that is not one: parse_date says None for it
    return list(map(parse_date, raw_dates))
