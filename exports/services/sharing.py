"""Sharing a reviewed part of an export: the person picks data sets and days, strikes the rows
they keep to themselves, and downloads the rest as a zip (CSV tables or one JSON file), or
offers it to the holder of one of their API tokens.

A share is a selection, not a copy: its zip is made from the records each time it is
downloaded, so the original archive is untouched and the share cannot outlive the records it
selects (they go with the archive: exports.datasets.delete_read_data takes the shares too).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator

from django.db import transaction
from django.db.models import QuerySet

from exports.datasets import ExportRecord, ReadingState, ReviewedShare, ShareFormat
from exports.middleware import time_zone_named
from exports.models import ApiToken, ExportRequest
from exports.services import explorer
from exports.services.extracts import read_datasets, tables_zip

# Rows a person may strike from one share: a review, not a filter (a date range or leaving a
# data set out is the way to drop many).
MAX_STRUCK = 10_000


class ShareError(Exception):
    """A share that cannot be made or changed as asked; `message` is for the person."""


def create_share(
    export: ExportRequest,
    *,
    datasets: Iterable[str],
    since: dt.date | None,
    until: dt.date | None,
    file_format: str,
    time_zone: str,
) -> ReviewedShare:
    """A new share of the export's `datasets` (read ones only) between the two days."""
    readable = read_datasets(export)
    chosen = [name for name in readable if name in set(datasets)]
    if not chosen:
        raise ShareError("no_datasets")
    return ReviewedShare.objects.create(
        export=export,
        datasets=chosen,
        since=since,
        until=until,
        file_format=ShareFormat(file_format),
        time_zone=time_zone,
    )


def shares_of(export: ExportRequest) -> QuerySet[ReviewedShare]:
    """The export's shares: the only way a share is fetched for its owner."""
    return ReviewedShare.objects.filter(export=export).select_related("offered_to")


def period_of(share: ReviewedShare) -> explorer.Period:
    return explorer.Period(share.since, share.until, time_zone_named(share.time_zone) or dt.UTC)


def records_of_share(share: ReviewedShare, dataset: str) -> QuerySet[ExportRecord]:
    """The records of one data set the share holds, in the archive's order."""
    if dataset not in share.datasets:
        return ExportRecord.objects.none()
    records = period_of(share).records(ExportRecord.objects.of(share.export_id, dataset))
    if share.struck:
        records = records.exclude(position__in=share.struck)
    return records


def set_struck(share: ReviewedShare, position: int, *, struck: bool) -> None:
    """Strikes the record at `position` from the share, or puts it back. Only records the share
    holds can be struck."""
    with transaction.atomic():
        share = ReviewedShare.objects.select_for_update().get(pk=share.pk)
        positions = set(share.struck)
        if struck:
            held = period_of(share).records(
                explorer.records_of(share.export, share.datasets).filter(position=position)
            )
            if not held.exists():
                raise ShareError("not_in_share")
            if len(positions) >= MAX_STRUCK:
                raise ShareError("too_many_struck")
            positions.add(position)
        else:
            positions.discard(position)
        share.struck = sorted(positions)
        share.save(update_fields=["struck"])


def offer(share: ReviewedShare, token: ApiToken | None) -> None:
    """Lets the holder of `token` (one of the owner's usable tokens) download the share, or,
    with None, no one but its owner."""
    share.offered_to = token
    share.save(update_fields=["offered_to"])


def delete_share(share: ReviewedShare) -> None:
    share.delete()


def share_zip(share: ReviewedShare) -> Iterator[bytes]:
    """The share's zip, streamed: a CSV table per data set, or one `data.json`."""
    envelope = None
    if share.file_format == ShareFormat.JSON:
        envelope = {
            "shared_at": share.created_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "since": share.since.isoformat() if share.since else None,
            "until": share.until.isoformat() if share.until else None,
            "rows_left_out": len(share.struck),
        }
    return tables_zip(
        share.export,
        share.datasets,
        lambda dataset: records_of_share(share, dataset),
        json_document=envelope,
    )


def share_filename(share: ReviewedShare) -> str:
    return f"tiktok-{share.export.created_at:%Y-%m-%d}-shared-{str(share.pk)[:8]}.zip"


def shares_offered_to(token: ApiToken) -> QuerySet[ReviewedShare]:
    """The shares offered to `token`'s holder whose export is still stored and read."""
    return (
        ReviewedShare.objects.offered_to(token)
        .filter(export__user=token.user, export__reading__state=ReadingState.DONE)
        .select_related("export")
    )


def share_offered(token: ApiToken, share_id: uuid.UUID | str) -> ReviewedShare | None:
    share = shares_offered_to(token).filter(pk=share_id).first()
    if share is None or not share.export.can_be_downloaded:
        return None
    return share
