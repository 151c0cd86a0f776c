"""Reading `user_data_tiktok.json`, streamed: ijson's C parser (yajl2_c) yields events, and
only one record at a time is ever built, so a 2 GiB file needs no more memory than a small one.

The walk knows the first three levels (top-level key > section > list key, where every data set
of every generation lives) and hands what is below to the data set's handler. A file holding its
content twice (vantezzen/wrapped #7, #9) is read up to the end of its first complete value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator, Iterator
from itertools import chain
from typing import Any, BinaryIO

import ijson

from exports.reader.catalog import (
    GENERATION_MARKERS,
    JSON_ROUTES,
    JSON_SECTIONS,
    Dataset,
    Shape,
    spelling,
)
from exports.reader.records import (
    PATH_SEPARATOR,
    Layout,
    ReadError,
    Record,
    Section,
    Sections,
    make_record,
)
from exports.reader.values import FieldNames, is_empty, parse_date

Batch = list[Record]
# Records travel up the walk this many at a time: a generator hop per record costs more than
# the record.
BATCH = 256
# The depth at which data sets start: top-level key > section > list key.
ROUTE_DEPTH = 3
SECTION_DEPTH = 2
_CONTAINERS = ("start_map", "start_array")
_ENDS = ("end_map", "end_array")
# Longer than any placeholder ("N/A", "n.v.t.", …): certainly not empty.
_SHORT = 12


class JsonReader:
    """Reads one JSON document from `stream`: `records()` yields them (`batches()` a list at
    a time); `sections` and `layout` are complete once it is exhausted."""

    def __init__(self, stream: BinaryIO) -> None:
        self._events = ijson.basic_parse(stream, use_float=True, multiple_values=True)
        self.sections = Sections()
        self._top_keys: list[str] = []
        self._names: dict[str, FieldNames] = {}

    @property
    def layout(self) -> Layout:
        return Layout("json", _generation(self._top_keys), "en")

    def records(self) -> Iterator[Record]:
        """Every record, in the file's order. Raises ReadError if the file is not JSON or its
        first value is not an object, or ends before its first value is complete."""
        return chain.from_iterable(self.batches())

    def batches(self) -> Iterator[Batch]:
        """The records in lists of a few hundred, in the file's order: records() walks them in
        C, with no generator to resume per record."""
        try:
            first = next(self._events, None)
            if first is None or first[0] != "start_map":
                raise ReadError("not_tiktok_json", "the data file is not a JSON object")
            yield from self._walk_map(())
        except ijson.JSONError as error:
            raise ReadError("broken_json", f"the data file is not valid JSON: {error}") from None
        # multiple_values: what follows the first complete value (a second copy of it) is
        # neither read nor an error.

    def _walk_map(self, path: tuple[str, ...]) -> Iterator[Batch]:
        """The map at `path` (above the data sets' depth), up to its end. An empty one is a
        section present but empty."""
        key, empty = "", True
        for event, value in self._events:
            if event == "map_key":
                key, empty = value, False
                if not path:
                    self._top_keys.append(key)
            elif event == "end_map":
                if empty and path:
                    self._count_scalar(path, None)
                return
            else:
                yield from self._value_at((*path, key), event, value)

    def _value_at(self, path: tuple[str, ...], event: str, value: Any) -> Iterator[Batch]:
        if len(path) == ROUTE_DEPTH:
            spelled = tuple(spelling(part) for part in path)
            dataset = JSON_ROUTES.get(spelled)
            if dataset is not None:
                yield from self._read_dataset(dataset, path, event, value)
            elif event in _CONTAINERS or spelled[:SECTION_DEPTH] not in JSON_SECTIONS:
                self._count_unknown(path, event, value)
            # else `App`, `IsFastLane`: TikTok's bookkeeping beside a data set's list, no section
        elif event == "start_map":
            yield from self._walk_map(path)
        elif event == "start_array":
            self._count_unknown(path, event, value)
        else:
            self._count_scalar(path, value)

    def _count_scalar(self, path: tuple[str, ...], value: Any) -> None:
        """A bare value above the data sets' depth. An empty one where a data set's section
        belongs (`{"Your Activity": {"Searches": null}}`) is that data set, present but empty."""
        name = _path_name(path)
        if is_empty(value):
            known = JSON_SECTIONS.get(tuple(spelling(part) for part in path))
            self.sections.get(name, known.name if known else "")
        else:
            self.sections.get(name).items += 1

    def _read_dataset(
        self, dataset: Dataset, path: tuple[str, ...], event: str, value: Any
    ) -> Iterator[Batch]:
        source = _path_name(path)
        names = self._names.setdefault(dataset.name, FieldNames(dataset))
        if dataset.shape == Shape.LISTS_BY_KEY and event == "start_map":
            # Each group is a section of its own (one per conversation); an empty map is one.
            if not (yield from self._read_groups(dataset, names, path)):
                self.sections.get(source, dataset.name)
            return
        section = self.sections.get(source, dataset.name)
        if dataset.shape == Shape.RECORDS_BY_KEY and event == "start_map":
            yield from self._read_keyed(dataset, names, source, section)
        elif dataset.shape != Shape.RECORD and event == "start_array":
            # A list, or a list where a map keyed by group belongs: its records, ungrouped.
            yield from self._read_list(dataset.name, names, source, section, {})
        elif event in _CONTAINERS:  # a record's map, or a list section that is a single map
            whole = self._build(event)
            if not is_empty(whole):
                section.items += 1
                yield [_record(dataset, names, source, _as_fields(whole))]
        elif not is_empty(value):  # a section that is a bare value, like ad interests
            section.items += 1
            yield [_record(dataset, names, source, {"value": value})]

    def _read_groups(
        self, dataset: Dataset, names: FieldNames, path: tuple[str, ...]
    ) -> Generator[Batch, None, int]:
        """A map of groups (conversations), each a section of its own one level below.
        Returns how many groups it held."""
        key, groups = "", 0
        for event, value in self._events:
            if event == "map_key":
                key = value
                groups += 1
                continue
            if event == "end_map":
                return groups
            source = _path_name((*path, key))
            section = self.sections.get(source, dataset.name)
            group = {dataset.key_field: _group_name(key)}
            if event == "start_array":
                yield from self._read_list(dataset.name, names, source, section, group)
                continue
            item = self._build(event) if event in _CONTAINERS else value
            if not is_empty(item):
                section.items += 1
                yield [_record(dataset, names, source, {**group, **_as_fields(item)})]
        return groups

    def _read_keyed(
        self, dataset: Dataset, names: FieldNames, source: str, section: Section
    ) -> Iterator[Batch]:
        """A map of records keyed by their id (LIVEs): the key is a field of the record, and
        the records are the map's section, not a section each."""
        key, batch = "", []
        for event, value in self._events:
            if event == "map_key":
                key = value
                continue
            if event == "end_map":
                break
            item = self._build(event) if event in _CONTAINERS else value
            if not is_empty(item):
                fields = {dataset.key_field: key, **_as_fields(item)}
                batch.append(_record(dataset, names, source, fields))
            if len(batch) == BATCH:
                section.items += BATCH
                yield batch
                batch = []
        section.items += len(batch)
        if batch:
            yield batch

    def _read_list(  # noqa: PLR0912, PLR0915 - the hot loop, inlined on purpose
        self, dataset: str, names: FieldNames, source: str, section: Section, group: dict
    ) -> Iterator[Batch]:
        """The records of the array just started, in batches.

        The hot loop of a big export (a watch-history item is six events): each item's fields
        are named as they arrive, without building TikTok's map first, and without a call per
        value that can be done without."""
        batch: Batch = []
        events, no_date, short, containers = self._events, names.NO_DATE, _SHORT, _CONTAINERS
        known, name_of, from_iso = names.known, names.name_of, dt.datetime.fromisoformat
        for event, value in events:
            if event == "end_array":
                break
            fields: dict[str, Any] = {}
            raw_date, date_value, priority = "", None, no_date
            if event != "start_map":  # a bare value or a list where a record belongs
                if event == "start_array":
                    value = self._build_array()  # noqa: PLW2901
                if is_empty(value):  # null, "N/A": a placeholder, not a record
                    continue
                fields = {"value": value}
            else:
                name, date_priority = "", -1
                for event, value in events:  # noqa: PLW2901 - the item's own events
                    # The events in the order of how often they come: keys and strings.
                    if event == "map_key":
                        name, date_priority = known.get(value) or name_of(value)
                        continue
                    if event == "string":
                        if len(value) <= short and is_empty(value):
                            continue
                        if date_priority < 0:
                            fields[name] = value
                        elif date_priority < priority:
                            raw_date = date_value = value
                            priority = date_priority
                        continue
                    if event == "end_map":
                        break
                    if event in containers:
                        value = self._build(event)  # noqa: PLW2901
                    if not is_empty(value):
                        if date_priority < 0:
                            fields[name] = value
                        elif date_priority < priority:
                            raw_date, date_value, priority = str(value), value, date_priority
            if not fields and not raw_date:
                continue
            if group:
                fields = {**group, **fields}
            if len(raw_date) == 19 and raw_date[10] == " " and date_value.__class__ is str:
                try:  # TikTok's own form, nearly every date of a big export: the quick way
                    occurred_at = from_iso(raw_date + "+00:00")
                except ValueError:
                    occurred_at = None
            else:
                occurred_at = parse_date(date_value) if raw_date else None
            batch.append(make_record((dataset, source, raw_date, occurred_at, fields)))
            if len(batch) == BATCH:
                section.items += BATCH
                yield batch
                batch = []
        section.items += len(batch)
        if batch:
            yield batch

    def _count_unknown(self, path: tuple[str, ...], event: str, value: Any) -> None:
        """A section the catalog does not know: its items (a list's, or 1 for anything else
        that holds something) are counted, never kept nor built."""
        section = self.sections.get(_path_name(path))
        if event == "start_array":
            for item_event, item_value in self._events:
                if item_event == "end_array":
                    return
                section.items += self._skip(item_event, item_value)
        else:
            section.items += self._skip(event, value)

    def _skip(self, event: str, value: Any) -> bool:
        """Reads past the value `event` starts, building nothing: whether it holds anything
        (the streamed `not is_empty`)."""
        if event not in _CONTAINERS:
            return not is_empty(value)
        depth, found = 1, False
        for inner, inner_value in self._events:
            if inner in _CONTAINERS:
                depth += 1
            elif inner in _ENDS:
                depth -= 1
                if not depth:
                    return found
            elif inner != "map_key" and not found:
                found = not is_empty(inner_value)
        raise ReadError("broken_json", "the data file ends inside a section")

    def _array_items(self) -> Iterator[Any]:
        """The items of the array just started, built one at a time."""
        for event, value in self._events:
            if event == "end_array":
                return
            if event == "start_map":
                yield self._build_map()
            elif event == "start_array":
                yield self._build_array()
            else:
                yield value

    def _build(self, event: str) -> Any:
        return self._build_map() if event == "start_map" else self._build_array()

    def _build_map(self) -> dict[str, Any]:
        # The hot loop of a big export: a watch-history item is six events.
        built: dict[str, Any] = {}
        key = ""
        for event, value in self._events:
            if event == "map_key":
                key = value
            elif event == "end_map":
                return built
            elif event == "start_map":
                built[key] = self._build_map()
            elif event == "start_array":
                built[key] = self._build_array()
            else:
                built[key] = value
        raise ReadError("broken_json", "the data file ends inside a record")

    def _build_array(self) -> list[Any]:
        return list(self._array_items())


def _record(dataset: Dataset, names: FieldNames, source: str, raw: dict[str, Any]) -> Record:
    raw_date, occurred_at, fields = names.split(raw)
    return Record(dataset.name, source, raw_date, occurred_at, fields)


def _as_fields(item: Any) -> dict[str, Any]:
    return item if isinstance(item, dict) else {"value": item}


def _group_name(key: str) -> str:
    """`Chat History with bob.smith:` → `bob.smith`; any other key as it is."""
    name = key.strip().removesuffix(":")
    prefix = "chat history with "
    return name[len(prefix) :].strip() if name.casefold().startswith(prefix) else name


def _path_name(path: tuple[str, ...]) -> str:
    return PATH_SEPARATOR.join(path)


def _generation(top_keys: list[str]) -> str:
    spelled = {spelling(key) for key in top_keys}
    for generation in ("C", "B", "A"):
        if spelled & GENERATION_MARKERS[generation]:
            return generation
    return "unknown"
