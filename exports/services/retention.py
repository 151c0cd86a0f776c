"""Stored archives are kept EXPORT_RETENTION_DAYS, then deleted; the owner is reminded
EXPORT_REMINDER_HOURS before, and may delete one sooner. Nothing is left behind: the object
leaves the storage and the row says so."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.utils import timezone

from exports import emails
from exports.archive_store import archive_key, archive_storage
from exports.lifecycle import ENDED_WITHOUT_ARCHIVE
from exports.models import EmailKind, ExportEvent, ExportRequest, ExportState, exports_for
from exports.services.locale import in_owner_locale
from exports.services.notifications import send_once
from exports.services.reading import forget_records

logger = logging.getLogger(__name__)


class ArchiveNotDeletableError(Exception):
    """Only a ready archive can be deleted."""


@in_owner_locale
def remind_before_deletion(export_id: uuid.UUID | str) -> None:
    """Emails the owner (one email, if they have a verified address) that the archive will be
    deleted soon. Idempotent; see notifications.send_once."""
    send_once(export_id, EmailKind.REMINDER, emails.send_deletion_reminder)


def delete_expired_archive(export_id: uuid.UUID | str) -> None:
    """Deletes the archive of an export past its retention, finishes a deletion whose storage
    object was left behind, and clears what a copy cut short left of an export that ended.
    Idempotent."""
    ExportRequest.objects.transition(
        export_id,
        [ExportState.READY],
        ExportState.DELETED,
        when=Q(retention_until__lte=timezone.now()),
        event=ExportEvent.Kind.DELETED,
    )
    _remove_object(export_id)


def delete_export_archive(user: AbstractBaseUser, export_id: uuid.UUID) -> None:
    """The owner deletes a ready archive before its time.

    Raises ExportRequest.DoesNotExist for an export that is not theirs and
    ArchiveNotDeletableError for one that holds no archive.
    """
    export = exports_for(user).get(pk=export_id)
    deleted = ExportRequest.objects.transition(
        export.pk, [ExportState.READY], ExportState.DELETED, event=ExportEvent.Kind.DELETED
    )
    if not deleted:
        raise ArchiveNotDeletableError
    _remove_object(export.pk)


def _remove_object(export_id: uuid.UUID | str) -> None:
    """Deletes what storage holds for an export that has no archive to keep (DELETED, or ended
    while being copied), then records that it is gone. A failure leaves `archive_deleted_at`
    empty, and the sweep tries again."""
    nothing_to_keep = (ExportState.DELETED, *ENDED_WITHOUT_ARCHIVE)
    export = ExportRequest.objects.filter(
        pk=export_id, state__in=nothing_to_keep, archive_deleted_at__isnull=True
    ).first()
    if export is None:
        return
    archive_storage().delete(export.archive_key or archive_key(export.user_id, export.pk))
    forget_records(export.pk)
    ExportRequest.objects.transition(
        export.pk,
        nothing_to_keep,
        when=Q(archive_deleted_at__isnull=True),
        archive_key="",
        archive_deleted_at=timezone.now(),
    )
    logger.info("Removed what storage held for export %s", export.pk)


def abort_abandoned_uploads() -> int:
    """Aborts S3 multipart uploads that no copy is working on any more (a worker died mid-copy)
    once they are an hour old. Returns how many. Run by the sweep; safe at any time."""

    def copy_in_progress(key: str) -> bool:
        export_id = key.rsplit("/", 1)[-1].removesuffix(".zip")
        return ExportRequest.objects.filter(
            pk__in=_as_uuid(export_id),
            state=ExportState.FETCHING,
            lease_expires_at__gt=timezone.now(),
        ).exists()

    return archive_storage().abort_stale_uploads(dt.timedelta(hours=1), copy_in_progress)


def _as_uuid(value: str) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(value)]
    except ValueError:
        return []
