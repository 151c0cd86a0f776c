"""An export's life, written down once: its states, the moves between them, and what entering a
state owes its owner.

    REQUESTED ──► PROCESSING ──► FETCHING ──► READY ──► DELETED
        │              │             │
        └──────────────┴─────────────┴──► FAILED, CANCELLED (from any of the three)
                       └─────────────┴──► EXPIRED (TikTok's copy lapsed)

REQUESTED   the site is asking TikTok (Add Data Request), or waiting to hear whether it did
PROCESSING  TikTok accepted and is preparing the data; the worker checks it, backing off
FETCHING    TikTok has it ready; the worker copies the zip into storage under a lease
READY       stored, checked and hashed; downloadable until its retention ends
DELETED     the stored archive is gone (retention, or its owner deleted it)
FAILED, EXPIRED, CANCELLED  ended without an archive to keep

Every change of state goes through ExportRequest.objects.transition (exports/models.py), which
refuses a move this table does not allow. Staying in a state while changing other fields (a
claim, a later check, a renewed lease) is allowed in every state: it is how a step claims its
row, and it records nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportState(models.TextChoices):
    REQUESTED = "requested", _("Asking TikTok")
    PROCESSING = "processing", _("TikTok is preparing it")
    FETCHING = "fetching", _("Copying from TikTok")
    READY = "ready", _("Ready to download")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired at TikTok")
    CANCELLED = "cancelled", _("Cancelled")
    DELETED = "deleted", _("Deleted")


ACTIVE_STATES = (ExportState.REQUESTED, ExportState.PROCESSING, ExportState.FETCHING)
FINISHED_STATES = (
    ExportState.READY,
    ExportState.FAILED,
    ExportState.EXPIRED,
    ExportState.CANCELLED,
    ExportState.DELETED,
)
# Ended with nothing to keep: whatever storage still holds for them is removed.
ENDED_WITHOUT_ARCHIVE = (ExportState.FAILED, ExportState.EXPIRED, ExportState.CANCELLED)
# The states its owner is emailed about (exports.services.notifications).
EMAILED_STATES = (ExportState.READY, ExportState.FAILED, ExportState.EXPIRED)

ALLOWED_MOVES: dict[str, frozenset[str]] = {
    ExportState.REQUESTED: frozenset(
        {ExportState.PROCESSING, ExportState.FAILED, ExportState.CANCELLED}
    ),
    ExportState.PROCESSING: frozenset(
        {ExportState.FETCHING, ExportState.FAILED, ExportState.EXPIRED, ExportState.CANCELLED}
    ),
    ExportState.FETCHING: frozenset(
        {ExportState.READY, ExportState.FAILED, ExportState.EXPIRED, ExportState.CANCELLED}
    ),
    ExportState.READY: frozenset({ExportState.DELETED}),
    ExportState.FAILED: frozenset(),
    ExportState.EXPIRED: frozenset(),
    ExportState.CANCELLED: frozenset(),
    ExportState.DELETED: frozenset(),
}


class EmailKind(models.TextChoices):
    OUTCOME = "outcome", _("How the export ended")
    REMINDER = "reminder", _("The archive will be deleted soon")


# Entering these states owes the owner these emails: the outcome is sent at once, the reminder
# when the archive's deletion is near (the sweep sends it).
EMAILS_OWED: dict[str | None, tuple[str, ...]] = {
    ExportState.READY: (EmailKind.OUTCOME, EmailKind.REMINDER),
    ExportState.FAILED: (EmailKind.OUTCOME,),
    ExportState.EXPIRED: (EmailKind.OUTCOME,),
}


class IllegalTransitionError(ValueError):
    """A move the export's life does not have (a bug in the caller, never a person's doing)."""


def check_move(from_states: Iterable[str], to_state: str | None) -> None:
    """Raises IllegalTransitionError unless every state in `from_states` may move to
    `to_state` (None: staying where it is, always allowed)."""
    for state in from_states:
        if state not in ALLOWED_MOVES:
            raise IllegalTransitionError(f"{state!r} is not a state of an export")
        if to_state is not None and to_state not in ALLOWED_MOVES[state]:
            raise IllegalTransitionError(f"an export cannot move from {state} to {to_state}")
