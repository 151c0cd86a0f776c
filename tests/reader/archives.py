"""Small TikTok export zips built in memory, and the reading of them, for the reader's tests."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

from exports.reader import PATH_SEPARATOR, ArchiveReading, Record, Section, read_archive


def zip_of(members: Mapping[str, bytes | str]) -> io.BytesIO:
    """A deflated zip holding `members` (name inside the zip -> content), rewound."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    buffer.seek(0)
    return buffer


def json_zip(
    document: Any, *, name: str = "user_data_tiktok.json", doubled: bool = False
) -> io.BytesIO:
    """A JSON export holding `document`; `doubled` writes it twice in the one file, as some
    real exports do (vantezzen/wrapped #7, #9)."""
    text = json.dumps(document, ensure_ascii=False)
    return zip_of({name: text + "\n" + text if doubled else text})


def text_zip(files: Mapping[str, str]) -> io.BytesIO:
    """A text export: path inside the zip (`TikTok/Your Activity/Watch History.txt`) -> text."""
    return zip_of(files)


def nest(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """`value` at `path` of an otherwise empty document: nest(("A", "B"), 1) == {"A": {"B": 1}}."""
    for key in reversed(path):
        value = {key: value}
    return value


def read(archive: io.BytesIO) -> tuple[ArchiveReading, list[Record]]:
    """The reading of `archive` and all its records, read to the end."""
    reading = read_archive(archive)
    return reading, list(reading.records())


def read_json(document: Any, **options: Any) -> tuple[ArchiveReading, list[Record]]:
    return read(json_zip(document, **options))


def read_text(files: Mapping[str, str]) -> tuple[ArchiveReading, list[Record]]:
    return read(text_zip(files))


def counts(records: list[Record]) -> dict[str, int]:
    """How many records each data set has."""
    found: dict[str, int] = {}
    for record in records:
        found[record.dataset] = found.get(record.dataset, 0) + 1
    return found


def of(records: list[Record], dataset: str) -> list[Record]:
    return [record for record in records if record.dataset == dataset]


def joined(*parts: str) -> str:
    return PATH_SEPARATOR.join(parts)


def section(reading: ArchiveReading, *parts: str) -> Section:
    """The section at the path `parts`, which must be listed (KeyError otherwise)."""
    return reading.sections.by_path[joined(*parts)]


def blocks(*records: Mapping[str, str]) -> str:
    """A text file of `Key: value` blocks, a blank line between them."""
    return "\n\n".join("\n".join(f"{key}: {value}" for key, value in r.items()) for r in records)
