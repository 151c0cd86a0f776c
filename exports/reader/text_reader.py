"""Reading a text export: a folder tree of `.txt` files (`TikTok/Your Activity/Watch
History.txt`), one record a block of `Key: value` lines, blocks apart by a blank line.

The files and keys are in the app's language. A file is known by its name in any language the
catalog has (English and Dutch); one that is not is still read into blocks and counted as
unrecognized, so an export in another language is recognised by its structure and never fails.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Generator, Iterable, Iterator
from itertools import chain
from typing import IO

from exports.reader.catalog import (
    BY_NAME,
    CHAT_FILE_PREFIX,
    EMPTY_AS_WRITTEN,
    TEXT_GENERATION_MARKERS,
    TEXT_LANGUAGES,
    TEXT_ROUTES,
    Dataset,
    spelling,
)
from exports.reader.records import (
    PATH_SEPARATOR,
    Layout,
    Record,
    Section,
    Sections,
    make_record,
)
from exports.reader.values import FieldNames, is_empty, parse_date

ROOT_FOLDERS = frozenset({"tiktok"})
# "Key: value", the key without a colon of its own; "Key:" alone is a key with no value.
_LONGEST_KEY = 80
# Longer than any placeholder ("N/A", "n.v.t.", …): certainly not empty.
_SHORT = 12
# Records travel up this many at a time: a generator hop per record costs more than it.
_BATCH = 256
# Characters of text read at a time.
_CHUNK = 1 << 20
_DUTCH_DATE_KEY = spelling("Datum")
_OLDEST_TEXT_NAMES = frozenset({spelling("Video Browsing History")})
# A block's `Key: value` fields, and the conversation heading above it if any.
Block = tuple[dict[str, str], str | None]


class TextMember:
    """One `.txt` file of the archive: its name inside the zip and how to open it."""

    def __init__(self, name: str, opener: Callable[[], IO[bytes]]) -> None:
        self.name = name
        self.open = opener

    @property
    def folders(self) -> list[str]:
        parts = [part for part in self.name.split("/") if part]
        folders = parts[:-1]
        if folders and spelling(folders[0]) in ROOT_FOLDERS:
            folders = folders[1:]
        return folders

    @property
    def stem(self) -> str:
        return self.name.rsplit("/", 1)[-1].removesuffix(".txt").removesuffix(".TXT")

    @property
    def path(self) -> str:
        return PATH_SEPARATOR.join([*self.folders, self.stem])


class TextReader:
    """Reads the `.txt` files of one export: `records()` yields them (`batches()` a list at a
    time); `sections` and `layout` are complete once it is exhausted."""

    def __init__(self, members: Iterable[TextMember]) -> None:
        self._members = sorted(members, key=lambda member: member.name)
        self.sections = Sections()
        # Language -> how many known files are in it: each votes once, by its name, or for Dutch
        # if its blocks say `Datum`.
        self._languages: dict[str, int] = {}
        self._names: dict[str, FieldNames] = {}

    @property
    def layout(self) -> Layout:
        return Layout("text", self._generation(), self._language())

    def records(self) -> Iterator[Record]:
        """Every record, file by file in name order."""
        return chain.from_iterable(self.batches())

    def batches(self) -> Iterator[list[Record]]:
        """The records in lists of a few hundred: records() walks them in C, with no generator
        to resume per record."""
        for member in self._members:
            dataset, language = self._route(member)
            section = self.sections.get(member.path, dataset.name if dataset else "")
            with member.open() as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace")
                if dataset is None:
                    section.items += sum(1 for _ in _blocks(text))
                    continue
                dutch = yield from self._read(dataset, member, section, text)
            language = "nl" if dutch else language
            self._languages[language] = self._languages.get(language, 0) + 1

    def _read(  # noqa: PLR0912, PLR0915 - the hot loop of a text export, inlined on purpose
        self, dataset: Dataset, member: TextMember, section: Section, stream: io.TextIOBase
    ) -> Generator[list[Record], None, bool]:
        """The records of one known file, in batches, its blocks parsed and their keys named
        in one pass (a big export is millions of blocks). Returns whether it dates with Dutch
        `Datum`."""
        names = self._names.setdefault(dataset.name, FieldNames(dataset))
        name_of, no_date = names.name_of, names.NO_DATE
        # A key as it stands in the file -> its name and date priority; only keys that passed
        # the rules of a `Key: value` line are here, so a line of one needs only a lookup.
        line_keys: dict[str, tuple[str, int]] = {}
        name, path, key_field = dataset.name, member.path, dataset.key_field
        group: dict[str, str] = {}
        if key_field and spelling(member.stem).startswith(CHAT_FILE_PREFIX):
            group = {key_field: _chat_name(member.stem)}
        dutch: bool | None = None
        batch: list[Record] = []
        from_iso = dt.datetime.fromisoformat
        for part in _parts(stream):
            fields: dict[str, object] = {}
            raw_date, priority, last = "", no_date, ""
            for line in part.split("\n"):
                key, colon, value = line.partition(":")
                entry = line_keys.get(key)
                if entry is None or value[:1] != " ":  # not a key seen before, with a value
                    if (
                        not colon
                        or not key
                        or len(key) > _LONGEST_KEY
                        or (value and value[0] != " ")
                    ):
                        if not line or line.isspace():  # a line of spaces between two blocks
                            if fields or raw_date:
                                batch.append(_record(name, path, raw_date, fields, group))
                            fields, raw_date, priority, last = {}, "", no_date, ""
                        elif last:  # a value over several lines (or a URL on a line of its own)
                            fields[last] = f"{fields[last]}\n{line}"
                        continue
                    if not value:  # `Key:` alone: no value, or a conversation's heading
                        if spelling(key).startswith(CHAT_FILE_PREFIX):
                            if fields or raw_date:  # the heading ends the block before it
                                batch.append(_record(name, path, raw_date, fields, group))
                            fields, raw_date, priority = {}, "", no_date
                            group = {key_field: _chat_name(key)} if key_field else {}
                        last = ""
                        continue
                    entry = line_keys[key] = name_of(key.strip())
                field, date_priority = entry
                value = value.strip()
                last = ""
                if len(value) <= _SHORT and (value in EMPTY_AS_WRITTEN or is_empty(value)):
                    continue
                if date_priority < 0:
                    if field not in fields:
                        fields[field] = value
                        last = field
                elif date_priority < priority:
                    raw_date, priority = value, date_priority
                    if dutch is None:  # a file's keys are in one language: its first date
                        dutch = spelling(key) == _DUTCH_DATE_KEY
            if not (fields or raw_date):
                continue
            if group:
                fields = {**group, **fields}
            if len(raw_date) == 23 and raw_date[10] == " " and raw_date.endswith(" UTC"):
                try:  # TikTok's text date, nearly every one of a big export: the quick way
                    occurred_at = from_iso(raw_date[:19] + "+00:00")
                except ValueError:
                    occurred_at = None
            else:
                occurred_at = parse_date(raw_date)
            batch.append(make_record((name, path, raw_date, occurred_at, fields)))
            if len(batch) >= _BATCH:
                section.items += len(batch)
                yield batch
                batch = []
        section.items += len(batch)
        yield batch
        return bool(dutch)

    def _route(self, member: TextMember) -> tuple[Dataset | None, str]:
        spelled = spelling(member.stem)
        if spelled.startswith(CHAT_FILE_PREFIX):
            return BY_NAME["direct_messages"], "en"
        found = TEXT_ROUTES.get(spelled)
        return found if found else (None, "")

    def _language(self) -> str:
        counted = {lang: n for lang, n in self._languages.items() if lang in TEXT_LANGUAGES}
        return max(counted, key=counted.__getitem__) if counted else "unknown"

    def _generation(self) -> str:
        names = {spelling(member.stem) for member in self._members}
        if names & _OLDEST_TEXT_NAMES:
            return "A"
        folders = {spelling(member.folders[0]) for member in self._members if member.folders}
        for generation in ("C", "B"):
            if folders & TEXT_GENERATION_MARKERS[generation]:
                return generation
        return "unknown"


def _blocks(stream: io.TextIOBase) -> Iterator[Block]:
    """The file's blocks, as (fields, heading): a heading is a line `Chat History with …:`,
    which starts a block of its own whether or not a blank line comes before it (a
    conversation's name in the direct messages). A line that is not `Key: value` continues
    the value before it (a message over several lines); a block with no field at all is a
    placeholder ("You have no data in this section", in any language).

    Read a chunk at a time and cut at blank lines, so the per-line work is one partition."""
    for part in _parts(stream):
        yield from _parse_block(part)


def _parts(stream: io.TextIOBase) -> Iterator[str]:
    """The text between blank lines, read a chunk at a time."""
    rest = ""
    for chunk in iter(lambda: stream.read(_CHUNK), ""):
        parts = (rest + chunk).split("\n\n")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def _record(name: str, path: str, raw_date: str, fields: dict, group: dict) -> Record:
    return make_record(
        (name, path, raw_date, parse_date(raw_date), {**group, **fields} if group else fields)
    )


def _parse_block(text: str) -> Iterator[Block]:
    """The block(s) in `text`: one, unless a heading or a line of spaces cuts it."""
    fields: dict[str, str] = {}
    heading: str | None = None
    last_key = ""
    for line in text.split("\n"):
        if not line or line.isspace():
            if fields or heading is not None:
                yield fields, heading
            fields, heading, last_key = {}, None, ""
            continue
        # "Key: value", or "Key:" alone; the key has no colon and at most 80 characters.
        key, colon, value = line.partition(":")
        if not colon or not key or len(key) > _LONGEST_KEY or (value and value[0] != " "):
            if last_key:  # a value over several lines (or a URL on a line of its own)
                fields[last_key] += "\n" + line
            continue
        key = key.strip()
        if not value and spelling(key).startswith(CHAT_FILE_PREFIX):
            if fields or heading is not None:
                yield fields, heading
            fields, heading, last_key = {}, key, ""
            continue
        last_key = key
        if key not in fields:
            fields[key] = value.strip()
    if fields or heading is not None:
        yield fields, heading


def _chat_name(text: str) -> str:
    """`Chat History with bob.smith:` → `bob.smith`."""
    name = text.strip().removesuffix(":").removesuffix(".txt")
    prefix = "chat history with "
    return name[len(prefix) :].strip() if name.casefold().startswith(prefix) else name
