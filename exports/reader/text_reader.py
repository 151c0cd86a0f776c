"""Reading a text export: a folder tree of `.txt` files (`TikTok/Your Activity/Watch
History.txt`), one record a block of `Key: value` lines, blocks apart by a blank line.

The files and keys are in the app's language. A file is known by its name in any language the
catalog has (English and Dutch); one that is not is still read into blocks and counted as
unrecognized, so an export in another language is recognised by its structure and never fails.

A file is read a chunk of whole blocks at a time. Where blocks of one plain shape follow one
another (nearly all of a big watch history), text_runs reads them a column at a time; every
other block is read line by line, by the same rules.
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
from exports.reader.text_runs import LONGEST_KEY, SHORT, BlockShape, plain_keys
from exports.reader.values import FieldNames, is_empty, parse_date

ROOT_FOLDERS = frozenset({"tiktok"})
# Records travel in lists of at least this many (a chunk's worth, as a rule): a generator hop
# per record costs more than the record.
_BATCH = 256
# Characters of text read at a time.
_CHUNK = 1 << 20
# A block longer than this is read in parts: only a broken or hostile file has one.
_LONGEST_BLOCK = 16 << 20
# Block shapes remembered per file: a file of blocks that all differ gains nothing from more.
_MOST_SHAPES = 32
# A run shorter than this does not pay for the looking; after one, runs are looked for again
# after a pause of 1, 2, 4, … blocks, at most _LONGEST_PAUSE.
_SHORTEST_RUN = 16
_LONGEST_PAUSE = 4096
# What a pause counts its blocks in: lines, about this many a block.
_LINES_PER_BLOCK = 4
_FROM_ISO = dt.datetime.fromisoformat
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

    def __init__(self, members: Iterable[TextMember], *, by_columns: bool = True) -> None:
        """`by_columns=False` reads every block line by line: slower, the same records, the
        reference the column reading is tested against."""
        self._members = sorted(members, key=lambda member: member.name)
        self._by_columns = by_columns
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

    def _read(
        self, dataset: Dataset, member: TextMember, section: Section, stream: io.TextIOBase
    ) -> Generator[list[Record], None, bool]:
        """The records of one known file, in batches. Returns whether it dates with Dutch
        `Datum`."""
        names = self._names.setdefault(dataset.name, FieldNames(dataset))
        group: dict[str, str] = {}
        if dataset.key_field and spelling(member.stem).startswith(CHAT_FILE_PREFIX):
            group = {dataset.key_field: _chat_name(member.stem)}
        reading = _FileReading(dataset, names, member.path, group, by_columns=self._by_columns)
        for lines in line_chunks(stream):
            reading.read(lines)
            if len(reading.batch) >= _BATCH:
                section.items += len(reading.batch)
                yield reading.batch
                reading.batch = []
        reading.finish()
        section.items += len(reading.batch)
        yield reading.batch
        return bool(reading.dutch)

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


class _FileReading:
    """The reading of one known file, fed its lines a chunk at a time; `batch` collects the
    records. A run of blocks of one plain shape is read a column at a time (text_runs); any
    other block line by line, with the same rules."""

    def __init__(
        self, dataset: Dataset, names: FieldNames, path: str, group: dict, *, by_columns: bool
    ) -> None:
        self.dataset, self.names, self.path, self.group = dataset, names, path, group
        self.by_columns = by_columns
        self.batch: list[Record] = []
        self.dutch: bool | None = None  # whether the first date key is Dutch `Datum`
        # A key as it stands in the file -> its name and date priority; only keys that passed
        # the rules of a `Key: value` line are here, so a line of one needs only a lookup.
        self._line_keys: dict[str, tuple[str, int]] = {}
        self._shapes: dict[tuple[str, ...], BlockShape] = {}
        self._shape: BlockShape | None = None
        # The block being read line by line; a run starts only where none is.
        self._fields: dict[str, object] = {}
        self._raw_date, self._priority, self._last = "", names.NO_DATE, ""
        self._at_block_start = True
        # Blocks to read line by line before looking for a run again, and the pause after the
        # next look that finds none: a file of blocks that seldom repeat is read line by line
        # at nearly no cost for looking.
        self._pause, self._next_pause = 0, 1

    def read(self, lines: list[str]) -> None:
        """Reads the next lines of the file (the first may continue the last block)."""
        position, end = 0, len(lines)
        while position < end:
            if self._at_block_start and self.by_columns and not self._pause:
                blocks = self._read_run(lines, position, end)
                if blocks >= _SHORTEST_RUN:
                    self._next_pause = 1
                else:  # few blocks or none of one shape here: try again later, later each time
                    self._pause = self._next_pause
                    self._next_pause = min(2 * self._next_pause, _LONGEST_PAUSE)
                if blocks:
                    position += blocks * self._shape.period
                    continue
            # Blocks line by line, as many as the pause (at least one): up to a blank line, or
            # the chunk's end.
            lines_ahead = _LINES_PER_BLOCK * max(1, self._pause) if self.by_columns else end
            try:
                stop = lines.index("", min(end, position + lines_ahead) - 1, end) + 1
            except ValueError:
                stop = end
            self._pause = max(0, self._pause - (stop - position) // _LINES_PER_BLOCK)
            self._read_lines(lines[position:stop])
            self._at_block_start = not lines[stop - 1]
            position = stop

    def finish(self) -> None:
        """The file's end: the last block, if no blank line came after it."""
        self._end_block()

    def _read_run(self, lines: list[str], start: int, end: int) -> int:
        """Reads the run of blocks of one shape at `lines[start]`, if one is there; returns
        how many blocks it read (0: none, the block is read line by line)."""
        shape = self._shape
        blocks = shape.run_length(lines, start, end) if shape else 0
        if not blocks:
            try:
                blank = lines.index("", start, end)
            except ValueError:
                return 0  # the chunk ends inside the block
            shape = self._shape_of(lines[start:blank])
            if shape is None:
                return 0
            blocks = shape.run_length(lines, start, end)
        if not shape.fits_group(self.group):
            return 0
        records, dated = shape.read(
            lines, start, blocks, dataset=self.dataset.name, path=self.path, group=self.group
        )
        self.batch += records
        if dated and self.dutch is None:
            self.dutch = shape.dutch
        self._shape = shape
        return blocks

    def _shape_of(self, block: list[str]) -> BlockShape | None:
        """The shape of a plain block, remembered per file; None for a block of another kind
        or a shape read line by line."""
        keys = plain_keys(block)
        if keys is None:
            return None
        shape = self._shapes.get(keys)
        if shape is None and len(self._shapes) < _MOST_SHAPES:
            shape = self._shapes[keys] = BlockShape(keys, self.names)
        return shape if shape is not None and shape.readable else None

    def _read_lines(self, lines: list[str]) -> None:  # noqa: PLR0912, PLR0915 - hot, inlined
        """The line-by-line reading: a block of `Key: value` lines ends at a blank line (or
        one of spaces) or a conversation's heading; a line that is neither continues the
        value before it."""
        fields, raw_date, priority, last = self._fields, self._raw_date, self._priority, self._last
        line_keys, name_of, no_date = self._line_keys, self.names.name_of, self.names.NO_DATE
        batch, name, path, from_iso = self.batch, self.dataset.name, self.path, _FROM_ISO
        for line in lines:
            if not line:  # a blank line: the block's record, unless it is empty
                if fields or raw_date:
                    if self.group:
                        fields = {**self.group, **fields}
                    if len(raw_date) == 23 and raw_date[10] == " " and raw_date[19:] == " UTC":
                        try:  # TikTok's text date, nearly every one: the quick way
                            occurred_at = from_iso(raw_date[:19] + "+00:00")
                        except ValueError:
                            occurred_at = None
                    else:
                        occurred_at = parse_date(raw_date)
                    batch.append(make_record((name, path, raw_date, occurred_at, fields)))
                fields, raw_date, priority, last = {}, "", no_date, ""
                continue
            key, colon, value = line.partition(":")
            entry = line_keys.get(key)
            if entry is None or value[:1] != " ":  # not a key seen before, with a value
                if not colon or not key or len(key) > LONGEST_KEY or (value and value[0] != " "):
                    if line.isspace():  # a line of spaces ends the block as a blank one does
                        self._fields, self._raw_date = fields, raw_date
                        self._end_block()
                        fields, raw_date, priority, last = {}, "", no_date, ""
                    elif last:  # a value over several lines (or a URL on a line of its own)
                        fields[last] = f"{fields[last]}\n{line}"
                    continue
                if not value:  # `Key:` alone: no value, or a conversation's heading
                    if spelling(key).startswith(CHAT_FILE_PREFIX):
                        self._fields, self._raw_date = fields, raw_date
                        self._end_block()  # the heading ends the block before it
                        fields, raw_date, priority = {}, "", no_date
                        key_field = self.dataset.key_field
                        self.group = {key_field: _chat_name(key)} if key_field else {}
                    last = ""
                    continue
                entry = line_keys[key] = name_of(key.strip())
            field, date_priority = entry
            value = value.strip()
            last = ""
            if len(value) <= SHORT and (value in EMPTY_AS_WRITTEN or is_empty(value)):
                continue
            if date_priority < 0:
                if field not in fields:
                    fields[field] = value
                    last = field
            elif date_priority < priority:
                raw_date, priority = value, date_priority
                if self.dutch is None:  # a file's keys are in one language: its first date
                    self.dutch = spelling(key) == _DUTCH_DATE_KEY
        self._fields, self._raw_date, self._priority, self._last = fields, raw_date, priority, last

    def _end_block(self) -> None:
        """The block read line by line is complete: its record, unless it held nothing."""
        fields, raw_date = self._fields, self._raw_date
        if fields or raw_date:
            if self.group:
                fields = {**self.group, **fields}
            record = (self.dataset.name, self.path, raw_date, parse_date(raw_date), fields)
            self.batch.append(make_record(record))
        self._fields, self._raw_date = {}, ""
        self._priority, self._last = self.names.NO_DATE, ""


def _blocks(stream: io.TextIOBase) -> Iterator[Block]:
    """The file's blocks, as (fields, heading): a heading is a line `Chat History with …:`,
    which starts a block of its own whether or not a blank line comes before it (a
    conversation's name in the direct messages). A line that is not `Key: value` continues
    the value before it (a message over several lines); a block with no field at all is a
    placeholder ("You have no data in this section", in any language).

    Read a chunk at a time and cut at blank lines."""
    for lines in line_chunks(stream):
        yield from _parse_block(lines)


def line_chunks(
    stream: io.TextIOBase, chunk: int = _CHUNK, longest_block: int = _LONGEST_BLOCK
) -> Iterator[list[str]]:
    """The file's lines, a list a chunk of text at a time. A chunk ends with a blank line, as
    the list's last item "", so that its blocks are whole; a block longer than `longest_block`
    is cut at a line break (or inside its line) so that no input holds more in memory."""
    rest = ""
    for read in iter(lambda: stream.read(chunk), ""):
        text = rest + read
        cut = text.rfind("\n\n")
        if cut >= 0:
            yield text[: cut + 1].split("\n")
            rest = text[cut + 2 :]
        elif len(text) < longest_block:
            rest = text
        else:
            cut = text.rfind("\n")
            cut = cut if cut >= 0 else len(text)
            yield text[:cut].split("\n")
            rest = text[cut + 1 :]
    if rest:
        yield rest.split("\n")


def _parse_block(lines: list[str]) -> Iterator[Block]:
    """The blocks of `lines`, cut by blank lines, lines of spaces and headings."""
    fields: dict[str, str] = {}
    heading: str | None = None
    last_key = ""
    for line in lines:
        if not line or line.isspace():
            if fields or heading is not None:
                yield fields, heading
            fields, heading, last_key = {}, None, ""
            continue
        # "Key: value", or "Key:" alone; the key has no colon and at most 80 characters.
        key, colon, value = line.partition(":")
        if not colon or not key or len(key) > LONGEST_KEY or (value and value[0] != " "):
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
