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
from exports.archive_store import archive_key, archive_storage
from exports.models import (
    ACTIVE_STATES,
    ExportEvent,
    ExportRequest,
    TikTokAccessRemoval,
    TikTokAuthorization,
)
from exports.services.export_requests import cancel_exports
from exports.services.reading import forget_records
from exports.tiktok import (
    AccessTokenInvalidError,
    PermanentTikTokError,
    PortabilityClient,
    TransientTikTokError,
    grant_is_alive,
)
from exports.tiktok.revocation import revoke_grant

logger = logging.getLogger(__name__)

# TikTok stamps a removal in whole seconds, and its clock is not ours: a removal stamped this
# close to the current grant may be about the grant before it, and TikTok is asked which.
GRANT_CLOCK_TOLERANCE = dt.timedelta(seconds=5)

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
        authorization = TikTokAuthorization.objects.select_for_update().filter(user=user).first()
        cancelled = _cancel_exports_under_way(user, ExportEvent.Kind.DISCONNECTED)
        if authorization is not None:
            _withdraw(authorization, requests_to_cancel=[r for r in cancelled.values() if r])
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
    storage = archive_storage()
    for export_id, key in ExportRequest.objects.filter(user_id=user_id).values_list(
        "pk", "archive_key"
    ):
        storage.delete(key or archive_key(user_id, export_id))
        forget_records(export_id)
    with transaction.atomic():
        _delete_sessions_of(user_id)
        user.delete()
    logger.info("Deleted the account of user %s", user_id)


class RemovalUndecidedError(Exception):
    """TikTok could not say now whether a removal is about the current grant: the webhook is
    to be delivered again later (TikTok retries anything but a 200)."""


def remove_access(open_id: str, reason: int, removed_at: dt.datetime) -> str:
    """TikTok says the person removed the site's access (tiktok-api.md §2.11): the grant is
    revoked at TikTok already. Deletes the tokens, cancels the exports under way and leaves a
    notice for the dashboard. Returns what happened, for the log.

    A removal is about a grant, and the only grant it can remove is one TikTok no longer
    honours: a removal stamped well before the current grant changes nothing, one stamped
    well after it is about it, and one stamped within GRANT_CLOCK_TOLERANCE of it (the person
    removed the app and signed in again at once) is decided by asking TikTok whether the
    current grant still works. Raises RemovalUndecidedError when TikTok cannot tell now.
    """
    authorization = TikTokAuthorization.objects.filter(open_id=open_id, user__isnull=False).first()
    if authorization is None:
        return "no such grant"
    if removed_at < authorization.granted_at - GRANT_CLOCK_TOLERANCE:
        return "older than the current grant"
    if removed_at <= authorization.granted_at + GRANT_CLOCK_TOLERANCE:
        try:
            if grant_is_alive(authorization.pk):
                return "about an earlier grant: the current one works"
        except TransientTikTokError as error:
            raise RemovalUndecidedError(error.code) from error
    with transaction.atomic():
        # The same grant still, not one a sign-in made meanwhile.
        authorization = (
            TikTokAuthorization.objects.select_for_update()
            .filter(pk=authorization.pk, granted_at=authorization.granted_at, user__isnull=False)
            .first()
        )
        if authorization is None:
            return "the grant changed meanwhile"
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

    Claimed first, so a second run meanwhile does nothing. The row counts the tries: a
    transient failure keeps the claim until the next try is due (backing off), and the sweep
    publishes it then; after WITHDRAW_ATTEMPTS tries, or once TikTok says the grant cannot be
    used any more, the row is deleted anyway.
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
    except TransientTikTokError as error:
        retry_at = timezone.now() + dt.timedelta(seconds=withdraw_backoff(authorization))
        TikTokAuthorization.objects.filter(pk=authorization.pk).update(
            withdraw_claimed_until=retry_at
        )
        logger.warning(
            "Withdrawing TikTok grant %s failed (%s); trying again after %s",
            authorization.pk,
            error.code,
            retry_at.isoformat(timespec="seconds"),
        )
        return
    except BaseException:
        TikTokAuthorization.objects.filter(pk=authorization.pk).update(withdraw_claimed_until=None)
        raise
    TikTokAuthorization.objects.filter(pk=authorization.pk, withdrawn_at__isnull=False).delete()
    logger.info("Withdrew TikTok grant %s", authorization.pk)


def withdraw_backoff(authorization: TikTokAuthorization) -> float:
    """Seconds before the next try at withdrawing: 15 s doubling per try, up to ten minutes."""
    return min(15.0 * 2 ** max(0, authorization.withdraw_attempts - 1), 600.0)


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


def _cancel_exports_under_way(user: AbstractBaseUser, kind: str) -> dict[object, int | None]:
    """Cancels the person's exports still under way. Returns them with the TikTok request ids
    they had made, which the caller cancels at TikTok if the grant still works."""
    under_way = ExportRequest.objects.filter(user=user, state__in=ACTIVE_STATES)
    return cancel_exports(under_way.values_list("pk", flat=True), kind, tell_tiktok=False)


def _delete_sessions_of(user_id: int) -> None:
    """Ends every session the person has open (other browsers and phones too)."""
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            session.delete()
