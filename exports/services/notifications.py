"""Telling an export's owner how it ended: one email to a verified address, with a signed link
to the export page (login still required). Without a verified address the dashboard is the
notice."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import uuid
from collections.abc import Callable

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from exports import emails, taskqueue
from exports.lifecycle import EMAILED_STATES
from exports.models import (
    EMAIL_ATTEMPTS,
    EmailKind,
    ExportEmail,
    ExportEvent,
    ExportRequest,
    exports_for,
)
from exports.services.locale import in_owner_locale

logger = logging.getLogger(__name__)

LINK_SALT = "exports.email-link"
# How long a sender holds an email before another may try: longer than any SMTP exchange.
EMAIL_CLAIM = dt.timedelta(minutes=5)


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
    if export.state not in EMAILED_STATES:
        raise EmailNotResendableError
    if verified_address(user) is None:
        raise NoVerifiedAddressError
    with transaction.atomic():
        # Sent (or owed to nobody at the time), or given up on: not one still being tried.
        still_trying = (
            ExportEmail.objects.select_for_update()
            .filter(
                export=export,
                kind=EmailKind.OUTCOME,
                sent_at__isnull=True,
                attempts__lt=EMAIL_ATTEMPTS,
            )
            .exists()
        )
        if still_trying:
            return False
        ExportEmail.owe(export.pk, EmailKind.OUTCOME)
        export.record(ExportEvent.Kind.EMAIL_RESENT)
        taskqueue.enqueue(taskqueue.NOTIFY, export.pk)
    return True


@in_owner_locale
def notify_export_outcome(export_id: uuid.UUID | str) -> None:
    """Sends the one email about how an export ended (ready, failed or expired), if its owner
    has a verified address. Idempotent; see send_once."""
    send_once(export_id, EmailKind.OUTCOME, emails.send_export_outcome)


EMAILED_EVENT = {
    EmailKind.OUTCOME: ExportEvent.Kind.EMAILED,
    EmailKind.REMINDER: ExportEvent.Kind.REMINDED,
}


def send_once(
    export_id: uuid.UUID | str, kind: str, send: Callable[[ExportRequest, str, str], None]
) -> None:
    """Sends the email of `kind` owed about an export (exports.models.ExportEmail), once.

    The email is claimed for a few minutes before sending and marked sent after: a second run
    meanwhile does nothing, and a sender that dies lets the claim lapse for the sweep to retry.
    A mail server that fails keeps it claimed until the next try is due (backing off), for the
    sweep to send then: the row, not the task, counts the tries, and after EMAIL_ATTEMPTS the
    email is given up on (the dashboard still tells). Without a verified address nothing is
    sent and nothing is owed.
    """
    now = timezone.now()
    claimed = (
        ExportEmail.objects.due(kind, now)
        .filter(export_id=export_id)
        .update(claimed_until=now + EMAIL_CLAIM, attempts=F("attempts") + 1)
    )
    if not claimed:
        return
    email = ExportEmail.objects.get(export_id=export_id, kind=kind)
    export = ExportRequest.objects.select_related("user").get(pk=export_id)
    address = verified_address(export.user)
    if address is not None:
        try:
            send(export, address, export_link(export))
        except (smtplib.SMTPException, OSError) as error:
            retry_at = timezone.now() + dt.timedelta(seconds=email_backoff(email.attempts))
            ExportEmail.objects.filter(pk=email.pk).update(claimed_until=retry_at)
            logger.warning(
                "The %s email about export %s failed (%s); trying again after %s",
                kind,
                export_id,
                type(error).__name__,
                retry_at.isoformat(timespec="seconds"),
            )
            return
        export.record(EMAILED_EVENT[kind])
    ExportEmail.objects.filter(pk=email.pk).update(sent_at=timezone.now(), claimed_until=None)


def email_backoff(attempt: int) -> float:
    """Seconds before trying an email again after `attempt` failed tries: 30 s doubling up to
    ten minutes, so eight tries span about half an hour of a mail server's outage."""
    return min(30.0 * 2 ** max(0, attempt - 1), 600.0)


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
