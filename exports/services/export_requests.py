"""What a person does with exports: ask for one, cancel one."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from exports import taskqueue
from exports.models import (
    ACTIVE_STATES,
    ExportEvent,
    ExportRequest,
    ExportState,
    TikTokAuthorization,
    exports_for,
)
from exports.scopes import (
    Category,
    DataFormat,
    categories_allowed,
    normalise_categories,
    scope_for_request,
)


class ExportNotAllowedError(Exception):
    """The person may not ask for this export; the message says why, in their words."""


class ExportAlreadyActiveError(Exception):
    """An export using the same TikTok permission is already under way."""

    def __init__(self, active: ExportRequest | None) -> None:
        super().__init__(_("An export of this data is already under way."))
        self.active = active


class ExportNotCancellableError(Exception):
    """The export has already finished."""


def used_up_scopes(user: AbstractBaseUser) -> set[str]:
    """Once-only scopes of the current grant that TikTok has already accepted a request for:
    they cannot be used again until the person grants them anew (signs in and allows them)."""
    authorization = TikTokAuthorization.objects.for_user(user).first()
    if authorization is None:
        return set()
    return set(
        exports_for(user)
        .filter(
            scope__endswith=".single",
            tiktok_request_id__isnull=False,
            created_at__gte=authorization.granted_at,
        )
        .values_list("scope", flat=True)
    )


def requestable_categories(user: AbstractBaseUser) -> list[str]:
    """The categories `user` may ask for now, given what they granted and used up."""
    authorization = TikTokAuthorization.objects.for_user(user).first()
    if authorization is None:
        return []
    return categories_allowed(authorization.granted_scopes, used_up_scopes(user))


def request_export(
    user: AbstractBaseUser, categories: Iterable[str], data_format: str
) -> ExportRequest:
    """Records a new export and sets the worker on asking TikTok for it.

    Returns the new export. Raises ExportNotAllowedError when the categories or format are not
    allowed, and ExportAlreadyActiveError when an export using the same TikTok permission is under
    way (the database enforces it, so double clicks and two tabs make one request).
    """
    wanted = normalise_categories(categories)
    if not wanted or not set(wanted) <= set(Category.values):
        raise ExportNotAllowedError(_("Choose at least one kind of data TikTok offers."))
    if data_format not in DataFormat.values:
        raise ExportNotAllowedError(_("Choose JSON or text."))
    authorization = TikTokAuthorization.objects.for_user(user).first()
    if authorization is None:
        raise ExportNotAllowedError(_("Sign in with TikTok first."))
    used_up = used_up_scopes(user)
    scope = scope_for_request(wanted, authorization.granted_scopes, used_up)
    if scope is None and all(
        scope_for_request([c], authorization.granted_scopes, used_up) for c in wanted
    ):
        # Each kind is allowed, but by different permissions, and TikTok's request uses one.
        raise ExportNotAllowedError(
            _(
                "Each of these is allowed, but by separate permissions, and one export can use "
                "only one. Ask for them in separate exports, or allow Everything."
            )
        )
    if scope is None:
        raise ExportNotAllowedError(
            _(
                "You have not allowed this site to export that data, or the one-time "
                "permission was already used. Allow it again from your dashboard."
            )
        )
    try:
        with transaction.atomic():
            export = ExportRequest.objects.create(
                user=user,
                categories=wanted,
                data_format=data_format,
                scope=scope,
                next_step_at=timezone.now(),
                # The worker writes to the person in these (exports.services.locale).
                language=translation.get_language() or "",
                time_zone=timezone.get_current_timezone_name(),
            )
            export.record(ExportEvent.Kind.REQUESTED)
            taskqueue.enqueue(taskqueue.SUBMIT, export.pk)
    except IntegrityError:
        active = exports_for(user).active().filter(scope=scope).first()
        raise ExportAlreadyActiveError(active) from None
    return export


def cancel_export(user: AbstractBaseUser, export_id: uuid.UUID) -> ExportRequest:
    """Cancels one of `user`'s exports still under way, here at once and at TikTok soon after.

    Raises ExportRequest.DoesNotExist for an export that is not theirs, and
    ExportNotCancellableError when it has already finished. Safe to call twice.
    """
    export = exports_for(user).get(pk=export_id)
    if not cancel_exports([export.pk], ExportEvent.Kind.CANCELLED, tell_tiktok=True):
        raise ExportNotCancellableError
    export.refresh_from_db()
    return export


def cancel_exports(
    export_ids: Iterable[uuid.UUID], event: str, *, tell_tiktok: bool
) -> dict[uuid.UUID, int | None]:
    """Cancels those of `export_ids` still under way, recording `event` in each one's history;
    with `tell_tiktok`, the worker then cancels their requests at TikTok. Returns the exports it
    cancelled, each with its TikTok request id (None where TikTok was not asked yet)."""
    cancelled = [
        export_id
        for export_id in export_ids
        if ExportRequest.objects.transition(
            export_id,
            ACTIVE_STATES,
            ExportState.CANCELLED,
            event=event,
            next_step_at=None,
            lease_owner="",
            lease_expires_at=None,
        )
    ]
    request_ids = dict(
        ExportRequest.objects.filter(pk__in=cancelled).values_list("pk", "tiktok_request_id")
    )
    if tell_tiktok:
        # An export cancelled while TikTok is being asked gets its request id later, and is
        # cancelled at TikTok then (exports.services.pipeline).
        for export_id in (pk for pk, request_id in request_ids.items() if request_id):
            taskqueue.enqueue(taskqueue.CANCEL_AT_TIKTOK, export_id)
    return request_ids
