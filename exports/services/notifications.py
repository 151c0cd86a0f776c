"""Telling an export's owner how it ended: one email to a verified address, with a signed link
to the export page (login still required). Without a verified address the dashboard is the
notice."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from exports import emails, taskqueue
from exports.models import EMAIL_ATTEMPTS, ExportEvent, ExportRequest, ExportState, exports_for
from exports.services.locale import in_owner_locale

logger = logging.getLogger(__name__)

LINK_SALT = "exports.email-link"
# How long a sender holds an email before another may try: longer than any SMTP exchange.
EMAIL_CLAIM = dt.timedelta(minutes=5)
NOTIFIED_STATES = (ExportState.READY, ExportState.FAILED, ExportState.EXPIRED)


class ExportLinkExpiredError(Exception):
    """The emailed link is genuine but older than EXPORT_EMAIL_LINK_DAYS."""

    def __init__(self, export_id: uuid.UUID | None = None) -> None:
        super().__init__(export_id)
        self.export_id = export_id


class ExportLinkInvalidError(Exception):
    """The emailed link was altered or made up."""


class EmailNotResendableError(Exception):
    """The export has not ended in a way that is emailed (it is under way or was cancelled)."""


class NoVerifiedAddressError(Exception):
    """The person has no verified email address to send to."""


def resend_export_email(user: AbstractBaseUser, export_id: uuid.UUID) -> bool:
    """The owner asks for the email about how an export ended once more (it went to spam, or
    they have just verified an address). The email is sent by the worker as the first one was,
    exactly once per ask. Returns False when the previous one is still on its way.

    Raises ExportRequest.DoesNotExist for an export that is not theirs, EmailNotResendableError
    for one that is not emailed, and NoVerifiedAddressError.
    """
    export = exports_for(user).get(pk=export_id)
    if export.state not in NOTIFIED_STATES:
        raise EmailNotResendableError
    if verified_address(user) is None:
        raise NoVerifiedAddressError
    with transaction.atomic():
        # Sent (or owed to nobody at the time), or given up on: not one still being tried.
        again = (
            ExportRequest.objects.filter(pk=export.pk, state__in=NOTIFIED_STATES)
            .filter(Q(notified_at__isnull=False) | Q(notify_attempts__gte=EMAIL_ATTEMPTS))
            .update(notified_at=None, notify_claimed_until=None, notify_attempts=0)
        )
        if again:
            export.record(ExportEvent.Kind.EMAIL_RESENT)
            taskqueue.enqueue(taskqueue.NOTIFY, export.pk)
    return bool(again)


@in_owner_locale
def notify_export_outcome(export_id: uuid.UUID | str) -> None:
    """Sends the one email about how an export ended (ready, failed or expired), if its owner
    has a verified address. Idempotent; see send_once."""
    send_once(
        export_id,
        OUTCOME,
        ExportRequest.objects.filter(state__in=NOTIFIED_STATES),
        emails.send_export_outcome,
    )


@dataclass(frozen=True)
class EmailKind:
    """The fields on ExportRequest that track one kind of email."""

    sent: str
    claimed_until: str
    attempts: str
    event: str


OUTCOME = EmailKind("notified_at", "notify_claimed_until", "notify_attempts", "emailed")
REMINDER = EmailKind("reminded_at", "remind_claimed_until", "remind_attempts", "reminded")


def send_once(
    export_id: uuid.UUID | str,
    kind: EmailKind,
    eligible: QuerySet[ExportRequest],
    send: Callable[[ExportRequest, str, str], None],
) -> None:
    """Sends one email of `kind` about an export in `eligible`, exactly once.

    The export is claimed for a few minutes before sending and marked sent after: a second run
    meanwhile does nothing, a sender that dies lets the claim lapse for the sweep to retry, and
    a failure releases the claim and raises, for the task to retry. After EMAIL_ATTEMPTS tries
    the email is given up on (the dashboard still tells). Without a verified address nothing is
    sent and nothing is owed.
    """
    now = timezone.now()
    claimed = (
        eligible.filter(pk=export_id, **{f"{kind.sent}__isnull": True})
        .filter(
            Q(**{f"{kind.claimed_until}__isnull": True}) | Q(**{f"{kind.claimed_until}__lt": now})
        )
        .filter(**{f"{kind.attempts}__lt": EMAIL_ATTEMPTS})
        .update(**{kind.claimed_until: now + EMAIL_CLAIM, kind.attempts: F(kind.attempts) + 1})
    )
    if not claimed:
        return
    export = ExportRequest.objects.select_related("user").get(pk=export_id)
    address = verified_address(export.user)
    if address is None:
        ExportRequest.objects.filter(pk=export.pk).update(**{kind.sent: timezone.now()})
        return
    try:
        send(export, address, export_link(export))
    except BaseException:
        ExportRequest.objects.filter(pk=export.pk).update(**{kind.claimed_until: None})
        raise
    ExportRequest.objects.filter(pk=export.pk).update(**{kind.sent: timezone.now()})
    export.record(kind.event)


def verified_address(user: object) -> str | None:
    """The user's verified email address, the primary one first."""
    address = (
        EmailAddress.objects.filter(user=user, verified=True)
        .order_by("-primary", "pk")
        .values_list("email", flat=True)
        .first()
    )
    return address or None


def export_link(export: ExportRequest) -> str:
    """A signed link to the export page that expires after EXPORT_EMAIL_LINK_DAYS. It carries
    no storage URL: following it still needs the owner's sign-in."""
    token = signing.TimestampSigner(salt=LINK_SALT).sign_object(
        {"export": str(export.pk), "user": export.user_id}
    )
    return f"{settings.SITE_URL}/exports/link/{token}/"


def resolve_export_link(token: str) -> tuple[uuid.UUID, int]:
    """Returns (export id, user id) of a genuine, unexpired link.

    Raises ExportLinkExpiredError or ExportLinkInvalidError.
    """
    max_age = dt.timedelta(days=settings.EXPORT_EMAIL_LINK_DAYS)
    try:
        payload = signing.TimestampSigner(salt=LINK_SALT).unsign_object(token, max_age=max_age)
        return uuid.UUID(payload["export"]), int(payload["user"])
    except signing.SignatureExpired:
        raise ExportLinkExpiredError(_export_of_genuine(token)) from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ExportLinkInvalidError from None


def _export_of_genuine(token: str) -> uuid.UUID | None:
    """The export a genuine (signature checked) but expired link names, so that its owner can
    be offered a fresh email."""
    try:
        payload = signing.TimestampSigner(salt=LINK_SALT).unsign_object(token)
        return uuid.UUID(payload["export"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
