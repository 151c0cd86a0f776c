"""What the reader yields: records, the sections they come from, and the layout it recognised."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

# How a source path is written for people and operators: "Your Activity > Watch History > …",
# with U+203A for each ">".
PATH_SEPARATOR = " › "


class ReadError(Exception):
    """The archive holds nothing the reader can read: not a zip, no TikTok data file in it, or
    a data file broken past its first complete value. `code` is for programs and pages."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


class Record(NamedTuple):
    """One item of a data set, as found: where (`source`), when (TikTok's own date string and
    the UTC moment it names, None if it names none) and its fields under the site's names."""

    dataset: str
    source: str
    raw_date: str
    occurred_at: dt.datetime | None
    fields: dict[str, Any]


# Makes a Record from a tuple of its five values without a Python-level call: a big export
# makes millions of them (Record(...) runs NamedTuple's __new__, written in Python).
make_record = functools.partial(tuple.__new__, Record)


@dataclass
class Section:
    """One section of an archive: a JSON path or a text file. `dataset` is empty for a section
    the reader does not know; `items` counts what it holds (records, or entries of an unknown
    section), 0 for one that is present but empty."""

    path: str
    dataset: str = ""
    items: int = 0

    @property
    def recognized(self) -> bool:
        return bool(self.dataset)


@dataclass(frozen=True)
class Layout:
    """Which export this is: `format` json or text, `generation` A, B, C or unknown, and the
    `language` of its text (JSON keys are always English)."""

    format: str
    generation: str = "unknown"
    language: str = "unknown"


@dataclass
class Sections:
    """Every section an archive holds, in the order found."""

    by_path: dict[str, Section] = field(default_factory=dict)

    def get(self, path: str, dataset: str = "") -> Section:
        section = self.by_path.get(path)
        if section is None:
            section = self.by_path[path] = Section(path, dataset)
        return section

    def unrecognized(self) -> list[Section]:
        """The sections the reader does not know that hold something."""
        return [s for s in self.by_path.values() if not s.recognized and s.items]

    def __iter__(self) -> Iterator[Section]:
        return iter(self.by_path.values())
