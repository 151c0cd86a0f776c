"""The data read out of stored archives: one ExportReading per export (how far the reading
is, what layout it found), its ExportSections (every path found, known or not) and the
ExportRecords of every data set.

Records live in PostgreSQL, in one table indexed for the explorer's questions (a data set of an
export in order, or by time): a person's data is a few data sets of up to tens of millions of
rows, read in pages, counted, filtered by date and searched. They go with the archive:
exports.services.reading.forget_records deletes them in bulk on every route an archive is
deleted by, before the export itself can go.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _


class ReadingState(models.TextChoices):
    PENDING = "pending", _("Waiting to be read")
    READING = "reading", _("Reading your data")
    DONE = "done", _("Read")
    FAILED = "failed", _("Could not be read")


def reading_due(now: Any) -> models.Q:
    """A reading a worker should take up now: waiting and due, or claimed by a worker whose
    lease lapsed (it died, or was killed)."""
    return models.Q(state=ReadingState.PENDING, next_step_at__lte=now) | models.Q(
        state=ReadingState.READING, lease_expires_at__lt=now
    )


class ExportReadingQuerySet(models.QuerySet["ExportReading"]):
    def due(self, now: Any) -> ExportReadingQuerySet:
        """Readings a worker should take up now (see reading_due)."""
        return self.filter(reading_due(now))

    def move(
        self,
        export_id: uuid.UUID | str,
        from_states: Iterable[str],
        to_state: str | None = None,
        *,
        when: models.Q | None = None,
        **fields: Any,
    ) -> bool:
        """The one way a reading's row changes: from any of `from_states` (and matching
        `when`) to `to_state` (None: stays), setting `fields`, in one conditional UPDATE.
        Returns whether the row matched; False means another worker, or the archive's
        deletion, got there first."""
        changes = dict(fields)
        if to_state is not None:
            changes["state"] = to_state
        rows = self.filter(export_id=export_id, state__in=tuple(from_states))
        if when is not None:
            rows = rows.filter(when)
        return bool(rows.update(**changes))


class ExportReading(models.Model):
    """The reading of one stored archive into records. Independent of the export's own state:
    the archive is downloadable whatever happens here."""

    export = models.OneToOneField(
        "exports.ExportRequest", on_delete=models.CASCADE, primary_key=True, related_name="reading"
    )
    state = models.CharField(
        max_length=16, choices=ReadingState.choices, default=ReadingState.PENDING
    )
    reader_version = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    next_step_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Progress: of the data files once uncompressed.
    bytes_read = models.BigIntegerField(default=0)
    bytes_total = models.BigIntegerField(null=True, blank=True)
    # Records committed so far: a reading taken up again skips these (the reader yields the
    # same records in the same order every time).
    records_done = models.BigIntegerField(default=0)

    layout_format = models.CharField(max_length=8, blank=True)
    layout_generation = models.CharField(max_length=16, blank=True)
    layout_language = models.CharField(max_length=16, blank=True)
    # {"watch_history": {"count": 41, "first": "<ISO>", "last": "<ISO>"}, …}
    datasets = models.JSONField(default=dict, blank=True)
    # [{"path": "Your Activity › Mystery Feature › MysteryList", "items": 4}, …]
    unrecognized = models.JSONField(default=list, blank=True)
    # Every file of the archive: [{"name": "…/Watch History.txt", "size": <bytes uncompressed>}]
    files = models.JSONField(default=list, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_detail = models.TextField(blank=True, help_text="For operators; never shown.")

    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExportReadingQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["state", "next_step_at"], name="reading_due_idx")]

    def __str__(self) -> str:
        return f"Reading of export {self.export_id} ({self.state})"

    @property
    def is_done(self) -> bool:
        return self.state == ReadingState.DONE

    @property
    def is_under_way(self) -> bool:
        return self.state in (ReadingState.PENDING, ReadingState.READING)

    @property
    def progress_percent(self) -> int | None:
        if self.state != ReadingState.READING or not self.bytes_total:
            return None
        return min(99, int(100 * self.bytes_read / self.bytes_total))

    @property
    def unread_items(self) -> int:
        """How many items sit in sections the reader does not know."""
        return sum(int(section.get("items", 0)) for section in self.unrecognized)

    def layout(self) -> dict[str, str]:
        return {
            "format": self.layout_format or "unknown",
            "generation": self.layout_generation or "unknown",
            "language": self.layout_language or "unknown",
        }


class ExportSection(models.Model):
    """One section found in an archive: a JSON path or a text file, its data set (empty when
    the reader does not know it) and how many items it holds."""

    # DO_NOTHING: records and sections go through delete_records_of, in bulk, before their
    # export goes (a cascade through Django would load every row to delete it); the foreign
    # key still refuses an export deleted with its records left behind.
    export = models.ForeignKey(
        "exports.ExportRequest", on_delete=models.DO_NOTHING, related_name="sections"
    )
    path = models.TextField()
    dataset = models.CharField(max_length=32, blank=True)
    items = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["export", "path"], name="one_section_per_path")
        ]

    def __str__(self) -> str:
        return self.path

    @property
    def recognized(self) -> bool:
        return bool(self.dataset)


class ExportRecordQuerySet(models.QuerySet["ExportRecord"]):
    def of(self, export_id: uuid.UUID | str, dataset: str) -> ExportRecordQuerySet:
        """One data set of one export, in the archive's order."""
        return self.filter(export_id=export_id, dataset=dataset).order_by("position")


class ExportRecord(models.Model):
    """One record of a data set, as read: where it came from, TikTok's date string, the UTC
    moment it names, and its fields under the site's names (exports.reader.catalog)."""

    id = models.BigAutoField(primary_key=True)
    export = models.ForeignKey(
        "exports.ExportRequest", on_delete=models.DO_NOTHING, related_name="+", db_index=False
    )
    # No constraint and no index: records go by export (delete_records_of), never section by
    # section, and a constraint would make each section's deletion look through every record.
    section = models.ForeignKey(
        ExportSection,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    dataset = models.CharField(max_length=32)
    # The record's place in the archive's order: deterministic, so a reading taken up again
    # after a crash can tell what it has stored already.
    position = models.BigIntegerField()
    occurred_at = models.DateTimeField(null=True, blank=True)
    raw_date = models.CharField(max_length=64, blank=True)
    fields = models.JSONField(default=dict)
    # The record's words a person searches for (search terms, comments, messages, links, user
    # names), lower-cased: one column a trigram index covers (migration 0012), so a search of
    # millions of records does not read each one's JSON.
    search_text = models.TextField(blank=True, default="")

    objects = ExportRecordQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["export", "position"], name="one_record_per_position")
        ]
        indexes = [
            models.Index(fields=["export", "dataset", "position"], name="record_order_idx"),
            # Pages in time order: (occurred_at, position) is the explorer's cursor.
            models.Index(
                fields=["export", "dataset", "occurred_at", "position"], name="record_time_idx"
            ),
            # A search across every data set of an export, in time order.
            models.Index(
                fields=["export", "occurred_at", "position"], name="record_export_time_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dataset} #{self.position}"


class ShareFormat(models.TextChoices):
    CSV = "csv", _("CSV tables")
    JSON = "json", _("One JSON file")


class ReviewedShareQuerySet(models.QuerySet["ReviewedShare"]):
    def offered_to(self, token: Any) -> ReviewedShareQuerySet:
        return self.filter(offered_to=token)


class ReviewedShare(models.Model):
    """A part of an export its owner reviewed to pass on: some data sets, a date range, minus
    the rows they struck. The derived zip is made from the records when it is downloaded, so
    the original archive is never touched and the share goes when the records go (the
    archive's retention, its deletion, the account's)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    export = models.ForeignKey(
        "exports.ExportRequest", on_delete=models.CASCADE, related_name="shares"
    )
    datasets = models.JSONField(default=list)
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True, help_text="Inclusive.")
    # The time zone the days are in: the owner's when they chose them.
    time_zone = models.CharField(max_length=64, default="UTC")
    # Positions of the records struck out (stable across readings: exports.datasets).
    struck = models.JSONField(default=list, blank=True)
    file_format = models.CharField(
        max_length=8, choices=ShareFormat.choices, default=ShareFormat.CSV
    )
    # The API token whose holder may download it, if the owner offered it to one.
    offered_to = models.ForeignKey(
        "exports.ApiToken", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReviewedShareQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Share of export {self.export_id} ({', '.join(self.datasets)})"


def delete_records_of(export_id: uuid.UUID | str) -> int:
    """Deletes everything read out of the export's archive, reading row included, in one
    transaction. A reading under way loses its row, so its next checkpoint fails and rolls
    back what it was writing. Returns how many records went."""
    with transaction.atomic():
        ExportReading.objects.filter(export_id=export_id).delete()
        return delete_read_data(export_id)


def delete_read_data(export_id: uuid.UUID | str) -> int:
    """Deletes the records and sections read out of the export's archive (not its reading).
    Returns how many records went."""
    with transaction.atomic():
        ReviewedShare.objects.filter(export_id=export_id).delete()
        deleted, _ = ExportRecord.objects.filter(export_id=export_id).delete()
        ExportSection.objects.filter(export_id=export_id).delete()
    return deleted
