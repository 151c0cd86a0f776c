"""What a person (or a service they authorised) takes away from what the site read: the summary
of an export, each data set as CSV or JSON, all of them as one zip of tables. Every extract is
streamed from the database with a server-side cursor, so its size is not bounded by memory.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from exports.datasets import ExportReading, ExportRecord, ReadingState
from exports.models import ExportRequest
from exports.reader import BY_NAME, DATASET_NAMES
from exports.reader.values import iso_utc

# Rows fetched from the database at a time while streaming.
CHUNK = 5_000
EXTRACT_FORMATS = ("csv", "json")
# The first columns of every table; the data set's own fields follow, then `other` (JSON of
# the fields the catalog does not name).
BASE_COLUMNS = ("occurred_at", "raw_date", "source")

# The records of a data set an extract holds, in order: by default all of them (a reviewed
# share passes fewer: exports.services.sharing).
RecordsOf = Callable[[str], QuerySet[ExportRecord]]


class ExtractNotReadyError(Exception):
    """The export's archive is not read (yet, or it could not be)."""


def summary_of(export: ExportRequest) -> dict[str, Any]:
    """The export's summary, as /exports/<id>/summary.json serves it: its layout, each data
    set's count and first and last moment, the sections not read, and how the reading goes."""
    reading = ExportReading.objects.filter(export=export).first()
    if reading is None:
        return {
            "reading": {"state": "not_read"},
            "layout": None,
            "datasets": {},
            "unrecognized": [],
        }
    return {
        "reading": {
            "state": reading.state,
            "progress_percent": reading.progress_percent,
            **({"failure": reading.failure_code} if reading.failure_code else {}),
        },
        "layout": reading.layout() if reading.layout_format else None,
        "datasets": reading.datasets if reading.is_done else {},
        "unrecognized": reading.unrecognized if reading.is_done else [],
    }


def read_datasets(export: ExportRequest) -> list[str]:
    """The data sets the export's archive was read into (with at least one record), in the
    catalog's order. Raises ExtractNotReadyError if it is not read."""
    reading = ExportReading.objects.filter(export=export, state=ReadingState.DONE).first()
    if reading is None:
        raise ExtractNotReadyError
    return [name for name in DATASET_NAMES if reading.datasets.get(name, {}).get("count")]


def columns_of(dataset: str) -> tuple[str, ...]:
    """The columns of a data set's table."""
    named = BY_NAME[dataset]
    own = ((named.key_field,) if named.key_field else ()) + tuple(named.fields)
    return (*BASE_COLUMNS, *own, "other")


def csv_rows(
    export: ExportRequest, dataset: str, records_of: RecordsOf | None = None
) -> Iterator[str]:
    """The data set as CSV lines (UTF-8 text, header first)."""
    columns = columns_of(dataset)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in _rows(export, dataset, records_of):
        writer.writerow(_cells(columns, row))
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_items(
    export: ExportRequest,
    datasets: Iterable[str],
    *,
    envelope: dict[str, Any] | None = None,
    records_of: RecordsOf | None = None,
) -> Iterator[str]:
    """The data sets as one JSON document: the list of records of one data set, or, with an
    `envelope`, `{**envelope, "datasets": {"<data set>": [...], ...}}`."""
    datasets = list(datasets)
    if envelope is None:
        (dataset,) = datasets
        yield from _json_list(export, dataset, records_of)
        return
    yield json.dumps(envelope, ensure_ascii=False)[:-1] + (", " if envelope else "")
    yield '"datasets": {'
    for index, dataset in enumerate(datasets):
        yield ("," if index else "") + json.dumps(dataset) + ": "
        yield from _json_list(export, dataset, records_of)
    yield "}}"


def tables_zip(
    export: ExportRequest,
    datasets: Iterable[str] | None = None,
    records_of: RecordsOf | None = None,
    *,
    json_document: dict[str, Any] | None = None,
) -> Iterator[bytes]:
    """Data sets of the export (all by default) as `<data set>.csv` in one zip, or, given
    `json_document` (its envelope), as one `data.json`; streamed as it is made (zip's data
    descriptors: no seeking back)."""
    datasets = read_datasets(export) if datasets is None else list(datasets)
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        if json_document is not None:
            with archive.open("data.json", "w", force_zip64=True) as member:
                items = json_items(export, datasets, envelope=json_document, records_of=records_of)
                for text in items:
                    member.write(text.encode())
                    yield sink.take()
        else:
            for dataset in datasets:
                with archive.open(f"{dataset}.csv", "w", force_zip64=True) as member:
                    for text in csv_rows(export, dataset, records_of):
                        member.write(text.encode())
                        yield sink.take()
    yield sink.take()


def _json_list(export: ExportRequest, dataset: str, records_of: RecordsOf | None) -> Iterator[str]:
    yield "["
    first = True
    batch: list[str] = []
    for row in _rows(export, dataset, records_of):
        occurred_at, raw_date, source, fields = row
        item = {"occurred_at": iso_utc(occurred_at), "raw_date": raw_date, "source": source}
        item.update(fields)
        batch.append(("" if first else ",") + json.dumps(item, ensure_ascii=False, default=str))
        first = False
        if len(batch) >= 1000:
            yield "".join(batch)
            batch = []
    yield "".join(batch) + "]"


def _rows(
    export: ExportRequest, dataset: str, records_of: RecordsOf | None
) -> Iterator[tuple[Any, ...]]:
    from exports.datasets import ExportSection  # noqa: PLC0415 - paths once, not per row

    paths = dict(ExportSection.objects.filter(export=export).values_list("pk", "path"))
    records = records_of(dataset) if records_of else ExportRecord.objects.of(export.pk, dataset)
    rows = records.values_list("occurred_at", "raw_date", "section_id", "fields").iterator(
        chunk_size=CHUNK
    )
    for occurred_at, raw_date, section_id, fields in rows:
        yield occurred_at, raw_date, paths.get(section_id, ""), fields


def _cells(columns: tuple[str, ...], row: tuple[Any, ...]) -> list[str]:
    occurred_at, raw_date, source, fields = row
    fields = dict(fields)
    cells = [iso_utc(occurred_at) or "", raw_date, source]
    for column in columns[len(BASE_COLUMNS) : -1]:
        cells.append(_text(fields.pop(column, "")))
    cells.append(json.dumps(fields, ensure_ascii=False) if fields else "")
    return cells


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


class _Sink(io.RawIOBase):
    """Where zipfile writes: bytes kept until taken. Not seekable, so zipfile streams."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        taken, self._parts = b"".join(self._parts), []
        return taken
