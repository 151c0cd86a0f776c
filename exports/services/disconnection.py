"""Ending a person's connection with TikTok, and their account here.

Three ways in:
- they disconnect TikTok on the dashboard: exports under way are cancelled and the grant is
  withdrawn (cancelled at TikTok, then revoked), stored archives stay until their retention;
- they delete their account: the same, and every stored archive and every row of theirs goes;
- TikTok tells us they removed the site's access (the `authorization.removed` webhook): TikTok
  has revoked the grant already, so the tokens are simply deleted and the exports cancelled.

Revoking needs the tokens after the person is gone, so a withdrawn grant stays as a row with no
user until the worker has cancelled its requests and revoked it at TikTok; then the row goes.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from exports import taskqueue
from exports.archive_store import archive_key, delete_archive, discard_partial
from exports.models import (
    ACTIVE_STATES,
    ExportEvent,
    ExportRequest,
    ExportState,
    TikTokAccessRemoval,
    TikTokAuthorization,
)
from exports.tiktok import AccessTokenInvalidError, PermanentTikTokError, PortabilityClient
from exports.tiktok.revocation import revoke_grant

logger = logging.getLogger(__name__)

# Tries at withdrawing a grant before giving up on it. The access token then dies on its own
# within a day; the refresh token would live on at TikTok until the person removes the app there.
WITHDRAW_ATTEMPTS = 8


def withdraw_claim() -> dt.timedelta:
    """How long the worker holds a withdrawal: cancelling a few requests and one revoke, each
    within the TikTok timeouts, with room to spare."""
    per_call = settings.TIKTOK_CONNECT_TIMEOUT + settings.TIKTOK_READ_TIMEOUT
    return dt.timedelta(seconds=10 * per_call + 60)


def disconnect_tiktok(user: AbstractBaseUser) -> int:
    """The person stops this site's access to their TikTok data. Their exports under way are
    cancelled; the worker then cancels them at TikTok and revokes the grant. Stored archives
    stay downloadable until their retention ends. Returns how many exports were cancelled.
    Safe to call twice."""
    with transaction.atomic():
        cancelled = _cancel_exports_under_way(user, ExportEvent.Kind.DISCONNECTED)
        authorization = TikTokAuthorization.objects.select_for_update().filter(user=user).first()
        if authorization is not None:
            _withdraw(authorization, requests_to_cancel=cancelled)
        TikTokAccessRemoval.objects.filter(user=user).delete()
    logger.info("User %s disconnected TikTok; %d exports cancelled", user.pk, len(cancelled))
    return len(cancelled)


def delete_account(user: AbstractBaseUser) -> None:
    """Deletes the person's account: their TikTok grant is withdrawn as on disconnecting, their
    stored archives are deleted from storage, then every row of theirs (exports and their
    history, email addresses, the TikTok account link, sessions).

    Storage goes first: if this stops half-way, the rows that point at what is left are still
    there, and deleting the account again finishes the job.
    """
    user_id = user.pk
    disconnect_tiktok(user)
    for export_id, key in ExportRequest.objects.filter(user_id=user_id).values_list(
        "pk", "archive_key"
    ):
        stored_at = key or archive_key(user_id, export_id)
        delete_archive(stored_at)
        discard_partial(stored_at)
    with transaction.atomic():
        _delete_sessions_of(user_id)
        user.delete()
    logger.info("Deleted the account of user %s", user_id)


def remove_access(open_id: str, reason: int, removed_at: dt.datetime) -> str:
    """TikTok says the person removed the site's access (tiktok-api.md §2.11): the grant is
    revoked at TikTok already. Deletes the tokens, cancels the exports under way and leaves a
    notice for the dashboard. A removal older than the current grant (the person signed in
    again since) changes nothing. Returns what happened, for the log."""
    with transaction.atomic():
        authorization = (
            TikTokAuthorization.objects.select_for_update()
            .filter(open_id=open_id, user__isnull=False)
            .first()
        )
        if authorization is None:
            return "no such grant"
        # TikTok's create_time has whole seconds: a removal stamped within the second of the
        # grant is taken to be about it (no one removes the app and signs in again that fast).
        if removed_at < authorization.granted_at.replace(microsecond=0):
            return "older than the current grant"
        user = authorization.user
        cancelled = _cancel_exports_under_way(user, ExportEvent.Kind.ACCESS_REMOVED)
        authorization.delete()
        if reason not in TikTokAccessRemoval.Reason.values:
            reason = TikTokAccessRemoval.Reason.UNKNOWN
        TikTokAccessRemoval.objects.update_or_create(
            user=user,
            defaults={
                "reason": reason,
                "removed_at": removed_at,
                "cancelled_exports": len(cancelled),
            },
        )
    return f"access removed, {len(cancelled)} exports cancelled"


def withdraw_grant(authorization_id: int | str) -> None:
    """The worker's side of a withdrawal: cancels at TikTok the requests the person's cancelled
    exports had made, revokes the grant, then deletes the row and its tokens.

    Claimed first, so a second run meanwhile does nothing. A transient failure releases the
    claim and raises, for the task to retry (the sweep retries too); after WITHDRAW_ATTEMPTS
    tries, or once TikTok says the grant cannot be used any more, the row is deleted anyway.
    """
    now = timezone.now()
    claimed = (
        TikTokAuthorization.objects.withdrawal_due(now)
        .filter(pk=authorization_id, withdraw_attempts__lt=WITHDRAW_ATTEMPTS)
        .update(
            withdraw_claimed_until=now + withdraw_claim(),
            withdraw_attempts=F("withdraw_attempts") + 1,
        )
    )
    if not claimed:
        _give_up_if_exhausted(authorization_id)
        return
    authorization = TikTokAuthorization.objects.get(pk=authorization_id)
    try:
        for request_id in list(authorization.requests_to_cancel):
            _cancel_request(authorization.pk, request_id)
            authorization.requests_to_cancel.remove(request_id)
            TikTokAuthorization.objects.filter(pk=authorization.pk).update(
                requests_to_cancel=authorization.requests_to_cancel
            )
        revoke_grant(authorization.pk)
    except PermanentTikTokError as error:
        logger.info(
            "TikTok grant %s could not be revoked (%s); deleting it", authorization.pk, error.code
        )
    except BaseException:
        TikTokAuthorization.objects.filter(pk=authorization.pk).update(withdraw_claimed_until=None)
        raise
    TikTokAuthorization.objects.filter(pk=authorization.pk, withdrawn_at__isnull=False).delete()
    logger.info("Withdrew TikTok grant %s", authorization.pk)


def _cancel_request(authorization_id: int, request_id: int) -> None:
    """Cancels one data request at TikTok; one that already ended or that TikTok does not know
    is fine. A grant that no longer works raises PermanentTikTokError: nothing more to do."""
    try:
        PortabilityClient(authorization_id).cancel(request_id)
    except PermanentTikTokError as error:
        if isinstance(error, AccessTokenInvalidError) or error.code == "refresh_token_invalid":
            raise
        logger.info("TikTok did not cancel request %s: %s", request_id, error.code)


def _give_up_if_exhausted(authorization_id: int | str) -> None:
    gone = TikTokAuthorization.objects.filter(
        pk=authorization_id,
        withdrawn_at__isnull=False,
        withdraw_attempts__gte=WITHDRAW_ATTEMPTS,
    ).delete()[0]
    if gone:
        logger.warning("Gave up revoking TikTok grant %s at TikTok; deleted it", authorization_id)


def _withdraw(authorization: TikTokAuthorization, *, requests_to_cancel: list[int]) -> None:
    authorization.user = None
    authorization.withdrawn_at = timezone.now()
    authorization.requests_to_cancel = sorted(
        set(authorization.requests_to_cancel) | set(requests_to_cancel)
    )
    authorization.withdraw_claimed_until = None
    authorization.save()
    taskqueue.enqueue(taskqueue.WITHDRAW, authorization.pk)


def _cancel_exports_under_way(user: AbstractBaseUser, kind: str) -> list[int]:
    """Cancels the person's exports still under way. Returns the TikTok request ids they had
    made, which the caller cancels at TikTok if the grant still works."""
    exports = list(
        ExportRequest.objects.select_for_update().filter(user=user, state__in=ACTIVE_STATES)
    )
    for export in exports:
        export.state = ExportState.CANCELLED
        export.next_step_at = None
        export.lease_owner = ""
        export.lease_expires_at = None
        export.save(
            update_fields=["state", "next_step_at", "lease_owner", "lease_expires_at", "updated_at"]
        )
        export.record(kind)
    return [export.tiktok_request_id for export in exports if export.tiktok_request_id]


def _delete_sessions_of(user_id: int) -> None:
    """Ends every session the person has open (other browsers and phones too)."""
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            session.delete()
