"""Reading a stored archive into records (exports.reader), after the copy: the step "reading
your data". The archive is downloadable from the moment it is stored, whatever happens here.

The reading's row is the source of truth. A worker claims it under a lease, reads the archive
where it is stored, and commits records in batches, each batch with its checkpoint (how many
records are stored) in one transaction. A worker killed mid-way leaves the lease to lapse; the
sweep publishes the reading again, and the next worker skips what is stored and goes on: the
reader yields the same records in the same order every time. Safe to run twice at once: only
the lease's owner can commit.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from exports import reader, taskqueue
from exports.archive_store import archive_storage
from exports.dataset_labels import label_of
from exports.datasets import (
    ExportReading,
    ExportRecord,
    ExportSection,
    ReadingState,
    delete_read_data,
    delete_records_of,
    reading_due,
)
from exports.models import ExportRequest, ExportState
from exports.reader.catalog import search_text_of
from exports.reader.values import iso_utc
from exports.services import explorer

logger = logging.getLogger(__name__)

# Raised when the reader changes what it yields: archives read by an older one can be read again.
READER_VERSION = 1
# Records per transaction: a checkpoint every BATCH records.
BATCH = 20_000
# Tries before a reading that keeps meeting storage errors is given up on.
READ_ATTEMPTS = 5
_COLUMNS = (
    "export_id",
    "section_id",
    "dataset",
    "position",
    "occurred_at",
    "raw_date",
    "fields",
    "search_text",
)


class LeaseLostError(Exception):
    """Another worker took the reading over, or the archive was deleted meanwhile."""


def reading_lease() -> dt.timedelta:
    """How long a claim on a reading lasts without a checkpoint renewing it."""
    return dt.timedelta(seconds=settings.EXPORT_READ_LEASE)


def schedule_reading(export_id: uuid.UUID | str) -> None:
    """Owes the export's archive a reading and publishes it once the transaction commits. Call
    it in the transaction that makes the export READY. Idempotent."""
    ExportReading.objects.get_or_create(
        export_id=export_id, defaults={"next_step_at": timezone.now()}
    )
    taskqueue.enqueue(taskqueue.READ, export_id)


def read_export(export_id: uuid.UUID | str) -> None:
    """Reads the export's stored archive into records, or takes up a reading a dead worker
    left. Does nothing unless the reading is due and its archive still stored. A ReadError
    (the archive holds nothing readable) fails the reading and forgets any records; a storage
    error is retried later, READ_ATTEMPTS times."""
    owner = uuid.uuid4().hex
    reading = _claim(export_id, owner)
    if reading is None:
        return
    export = ExportRequest.objects.filter(pk=export_id, state=ExportState.READY).first()
    if export is None or not export.archive_key:
        forget_records(export_id)
        return
    try:
        with archive_storage().open_archive(export.archive_key) as file:
            outcome = _read_into_database(export, reading, owner, file)
    except reader.ReadError as error:
        _fail(export_id, owner, error.code, str(error))
    except (OSError, BotoCoreError, ClientError) as error:
        _retry_later(reading, owner, error)
    except LeaseLostError:
        logger.info("Reading of export %s was taken over or deleted meanwhile", export_id)
    else:
        _finish(export_id, owner, outcome)
        _warm_overview(export)


def _warm_overview(export: ExportRequest) -> None:
    """Works out the overview its owner is likeliest to open first, so that visit does not wait
    for it. Only a head start: a failure here leaves the overview to be worked out on demand."""
    try:
        explorer.warm_overview(export)
    except Exception:  # never let the head start fail a finished reading
        logger.warning(
            "Could not work out the overview of export %s ahead", export.pk, exc_info=True
        )


def forget_records(export_id: uuid.UUID | str) -> int:
    """Deletes everything read out of the export's archive: called wherever the archive is
    deleted. A reading under way stops at its next checkpoint. Returns how many records went."""
    deleted = delete_records_of(export_id)
    if deleted:
        logger.info("Deleted %d records read from export %s", deleted, export_id)
    return deleted


def reading_of(export: ExportRequest) -> ExportReading | None:
    """The reading of a stored export's archive, if it has one (only READY exports do)."""
    if not export.can_be_downloaded:
        return None
    return ExportReading.objects.filter(export=export).first()


@dataclass(frozen=True)
class DatasetRow:
    """One line of an export's table of data sets, as its page shows it."""

    name: str
    label: str
    count: int
    first: dt.datetime | None
    last: dt.datetime | None


def read_dataset_rows(reading: ExportReading | None) -> list[DatasetRow]:
    """The data sets a finished reading found, with records, in the catalog's order."""
    if reading is None or not reading.is_done:
        return []
    rows = []
    for name in reader.DATASET_NAMES:
        found = reading.datasets.get(name)
        if found and found.get("count"):
            rows.append(
                DatasetRow(
                    name,
                    label_of(name),
                    int(found["count"]),
                    _parse_iso(found.get("first")),
                    _parse_iso(found.get("last")),
                )
            )
    return rows


def _parse_iso(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _claim(export_id: uuid.UUID | str, owner: str) -> ExportReading | None:
    now = timezone.now()
    claimed = ExportReading.objects.move(
        export_id,
        [ReadingState.PENDING, ReadingState.READING],
        ReadingState.READING,
        when=reading_due(now),
        lease_owner=owner,
        lease_expires_at=now + reading_lease(),
        started_at=now,
        reader_version=READER_VERSION,
        attempts=F("attempts") + 1,
    )
    return ExportReading.objects.get(export_id=export_id) if claimed else None


@dataclass
class _Outcome:
    layout: reader.Layout
    sections: list[reader.Section]
    datasets: dict[str, dict[str, object]] = field(default_factory=dict)
    bytes_total: int = 0
    files: list[tuple[str, int]] = field(default_factory=list)


def _read_into_database(
    export: ExportRequest, reading: ExportReading, owner: str, file: io.BufferedIOBase
) -> _Outcome:
    archive = reader.read_archive(file)
    stored = reading.records_done
    writer = _RecordWriter(export.pk, owner, archive, already_stored=stored)
    summary: dict[str, dict[str, object]] = {}
    for position, record in enumerate(archive.records()):
        _count(summary, record)
        if position >= stored:
            writer.add(position, record)
    writer.flush()
    return _Outcome(
        archive.layout, list(archive.sections), summary, archive.bytes_total, archive.files
    )


def _count(summary: dict[str, dict[str, object]], record: reader.Record) -> None:
    found = summary.get(record.dataset)
    if found is None:
        found = summary[record.dataset] = {"count": 0, "first": None, "last": None}
    found["count"] += 1  # type: ignore[operator]
    moment = record.occurred_at
    if moment is not None:
        if found["first"] is None or moment < found["first"]:  # type: ignore[operator]
            found["first"] = moment
        if found["last"] is None or moment > found["last"]:  # type: ignore[operator]
            found["last"] = moment


class _RecordWriter:
    """Writes records with COPY, BATCH at a time, each batch and its checkpoint in one
    transaction that commits only while `owner` holds the lease."""

    def __init__(
        self,
        export_id: uuid.UUID,
        owner: str,
        archive: reader.ArchiveReading,
        *,
        already_stored: int,
    ) -> None:
        self.export_id, self.owner, self.archive = export_id, owner, archive
        self.done = already_stored
        self.rows: list[tuple] = []
        self.section_ids = dict(
            ExportSection.objects.filter(export_id=export_id).values_list("path", "pk")
        )
        self.new_sections: dict[str, str] = {}

    def add(self, position: int, record: reader.Record) -> None:
        if record.source not in self.section_ids and record.source not in self.new_sections:
            self.new_sections[record.source] = record.dataset
        self.rows.append((position, record))
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        with transaction.atomic():
            # The checkpoint first: a lost lease (another worker, or the archive deleted) is
            # known before anything is written, and the reading's row is locked before the
            # records, the order the archive's deletion takes them in too.
            kept = ExportReading.objects.move(
                self.export_id,
                [ReadingState.READING],
                when=Q(lease_owner=self.owner),
                records_done=self.done + len(self.rows),
                bytes_read=self.archive.bytes_read,
                bytes_total=self.archive.bytes_total,
                lease_expires_at=timezone.now() + reading_lease(),
            )
            if not kept:
                raise LeaseLostError
            self._create_sections()
            if self.rows:
                self._write_rows()
        self.done += len(self.rows)
        self.rows = []

    def _write_rows(self) -> None:
        if connection.vendor != "postgresql":
            # The embedded setup (`make run`, SQLite) has no COPY: Django's bulk insert.
            ExportRecord.objects.bulk_create(
                (
                    ExportRecord(**dict(zip(_COLUMNS, self._row(*row), strict=True)))
                    for row in self.rows
                ),
                batch_size=500,
            )
            return
        # PostgreSQL: COPY writes a batch several times faster than INSERTs.
        with connection.cursor() as cursor:
            sql = f"COPY exports_exportrecord ({', '.join(_COLUMNS)}) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                for position, record in self.rows:
                    row = self._row(position, record)
                    copy.write_row(
                        (*row[:6], json.dumps(row[6], ensure_ascii=False, default=str), row[7])
                    )

    def _row(self, position: int, record: reader.Record) -> tuple:
        return (
            self.export_id,
            self.section_ids[record.source],
            record.dataset,
            position,
            record.occurred_at,
            record.raw_date[:64],
            record.fields,
            search_text_of(record.fields),
        )

    def _create_sections(self) -> None:
        for path, dataset in self.new_sections.items():
            section, _ = ExportSection.objects.get_or_create(
                export_id=self.export_id, path=path, defaults={"dataset": dataset}
            )
            self.section_ids[path] = section.pk
        self.new_sections = {}


def _finish(export_id: uuid.UUID | str, owner: str, outcome: _Outcome) -> None:
    unrecognized = [
        {"path": section.path, "items": section.items}
        for section in outcome.sections
        if not section.recognized and section.items
    ]
    with transaction.atomic():
        _store_sections(export_id, outcome.sections)
        finished = ExportReading.objects.move(
            export_id,
            [ReadingState.READING],
            ReadingState.DONE,
            when=Q(lease_owner=owner),
            layout_format=outcome.layout.format,
            layout_generation=outcome.layout.generation,
            layout_language=outcome.layout.language,
            datasets=_as_json(outcome.datasets),
            unrecognized=unrecognized,
            files=[{"name": name, "size": size} for name, size in outcome.files],
            bytes_read=outcome.bytes_total,
            bytes_total=outcome.bytes_total,
            finished_at=timezone.now(),
            lease_owner="",
            lease_expires_at=None,
            next_step_at=None,
            failure_code="",
            failure_detail="",
        )
        if not finished:
            raise LeaseLostError
    if unrecognized:
        # Drift: TikTok changed its layout. Operators see it here and in the admin.
        logger.warning(
            "Export %s (%s %s %s) has %d sections the reader does not know: %s",
            export_id,
            outcome.layout.format,
            outcome.layout.generation,
            outcome.layout.language,
            len(unrecognized),
            "; ".join(f"{s['path']} ({s['items']} items)" for s in unrecognized),
        )
    logger.info("Read export %s: %s", export_id, _describe(outcome.datasets))


def _store_sections(export_id: uuid.UUID | str, sections: Iterable[reader.Section]) -> None:
    existing = {s.path: s for s in ExportSection.objects.filter(export_id=export_id)}
    for section in sections:
        row = existing.get(section.path)
        if row is None:
            ExportSection.objects.create(
                export_id=export_id, path=section.path, dataset=section.dataset, items=section.items
            )
        elif row.items != section.items or row.dataset != section.dataset:
            row.items, row.dataset = section.items, section.dataset
            row.save(update_fields=["items", "dataset"])


def _fail(export_id: uuid.UUID | str, owner: str, code: str, detail: str) -> None:
    """The archive cannot be read: its records (if any) go, the reading says why. The archive
    itself stays downloadable."""
    with transaction.atomic():
        moved = ExportReading.objects.move(
            export_id,
            [ReadingState.READING],
            ReadingState.FAILED,
            when=Q(lease_owner=owner),
            failure_code=code,
            failure_detail=detail[:2000],
            finished_at=timezone.now(),
            lease_owner="",
            lease_expires_at=None,
            next_step_at=None,
            records_done=0,
        )
        if moved:
            delete_read_data(export_id)
    logger.warning("Could not read export %s (%s): %s", export_id, code, detail)


def _retry_later(reading: ExportReading, owner: str, error: Exception) -> None:
    attempts = reading.attempts
    if attempts >= READ_ATTEMPTS:
        _fail(reading.export_id, owner, "storage_unavailable", repr(error))
        return
    delay = min(3600, 30 * 2**attempts)
    ExportReading.objects.move(
        reading.export_id,
        [ReadingState.READING],
        ReadingState.PENDING,
        when=Q(lease_owner=owner),
        lease_owner="",
        lease_expires_at=None,
        next_step_at=timezone.now() + dt.timedelta(seconds=delay),
    )
    logger.warning(
        "Reading export %s met %r; trying again in %d s", reading.export_id, error, delay
    )


def _as_json(datasets: dict[str, dict[str, object]]) -> dict[str, dict[str, object]]:
    return {
        name: {
            "count": found["count"],
            "first": iso_utc(found["first"]),  # type: ignore[arg-type]
            "last": iso_utc(found["last"]),  # type: ignore[arg-type]
        }
        for name, found in sorted(datasets.items())
    }


def _describe(datasets: dict[str, dict[str, object]]) -> str:
    return ", ".join(f"{name} {found['count']}" for name, found in sorted(datasets.items()))
