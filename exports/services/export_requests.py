"""What a person does with exports: ask for them, cancel one."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from exports import taskqueue
from exports.models import (
    ACTIVE_STATES,
    ApiToken,
    ExportEvent,
    ExportOrigin,
    ExportRequest,
    ExportState,
    TikTokAuthorization,
    exports_for,
)
from exports.scopes import (
    Category,
    DataFormat,
    DataKind,
    covers,
    describe_scope,
    kinds_allowed,
    normalise_categories,
    normalise_kinds,
    plan_exports,
    portability_scopes,
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
    return _used_up(user, TikTokAuthorization.objects.for_user(user).first())


def _used_up(user: AbstractBaseUser, authorization: TikTokAuthorization | None) -> set[str]:
    """used_up_scopes, with the person's grant already read."""
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


def is_not_eligible(user: AbstractBaseUser) -> bool:
    """Whether TikTok refused `user` for living outside the EEA and the UK."""
    return TikTokAuthorization.objects.for_user(user).filter(not_eligible_at__isnull=False).exists()


def requestable_kinds(user: AbstractBaseUser) -> list[str]:
    """The kinds of data `user` may export now without asking TikTok for more. None for a
    person TikTok refused for where they live: any export would be refused again."""
    authorization = TikTokAuthorization.objects.for_user(user).first()
    if authorization is None or authorization.is_not_eligible:
        return []
    return kinds_allowed(authorization.granted_scopes, _used_up(user, authorization))


def kinds_needing_consent(user: AbstractBaseUser, kinds: Iterable[str]) -> list[str]:
    """Those of `kinds` that no permission `user` holds now covers: TikTok must ask them first."""
    authorization = TikTokAuthorization.objects.for_user(user).first()
    if authorization is None:
        return normalise_kinds(kinds)
    _, refused = plan_exports(kinds, authorization.granted_scopes, _used_up(user, authorization))
    return refused


@dataclass(frozen=True)
class Permission:
    """A portability permission the person granted, as the dashboard lists it."""

    scope: str
    label: str
    used: bool


def permissions_of(user: AbstractBaseUser) -> list[Permission]:
    """The portability permissions `user` granted; once-only ones already used marked so."""
    authorization = TikTokAuthorization.objects.for_user(user).first()
    if authorization is None:
        return []
    used_up = _used_up(user, authorization)
    return [
        Permission(scope, describe_scope(scope), scope in used_up)
        for scope in portability_scopes(authorization.granted_scopes)
    ]


@dataclass
class StartedExports:
    """What asking for exports of some kinds did: the exports it started, the ones of the same
    permission already under way, and the kinds nothing the person allowed covers now."""

    started: list[ExportRequest] = field(default_factory=list)
    already_active: list[ExportRequest] = field(default_factory=list)
    not_allowed: list[str] = field(default_factory=list)

    def describe_not_allowed(self) -> str:
        return ", ".join(str(DataKind(kind).label) for kind in self.not_allowed)


def start_exports(
    user: AbstractBaseUser,
    kinds: Iterable[str],
    data_format: str = DataFormat.JSON,
    *,
    origin: str = ExportOrigin.SITE,
) -> StartedExports:
    """Starts exports of `kinds`: one export when a single TikTok permission covers them all,
    else one per permission, started together (TikTok's request uses one permission). Kinds no
    permission allows now are left out and named in the result, never an error: the person
    chose them once, and the page says what was not possible."""
    outcome = StartedExports()
    authorization = TikTokAuthorization.objects.for_user(user).first()
    wanted = normalise_kinds(kinds)
    if authorization is None or authorization.is_not_eligible:
        outcome.not_allowed = wanted
        return outcome
    planned, outcome.not_allowed = plan_exports(
        wanted, authorization.granted_scopes, _used_up(user, authorization)
    )
    for plan in planned:
        try:
            export = request_export(
                user, plan.categories, data_format, origin=origin, scope=plan.scope
            )
        except ExportAlreadyActiveError as busy:
            if busy.active is not None:
                outcome.already_active.append(busy.active)
        except ExportNotAllowedError:
            outcome.not_allowed.extend(plan.kinds)
        else:
            outcome.started.append(export)
    outcome.not_allowed = normalise_kinds(outcome.not_allowed)
    return outcome


def start_exports_chosen_at_sign_in(user: AbstractBaseUser, chosen: dict) -> StartedExports | None:
    """Starts the exports a person chose before TikTok's consent page (carried through the
    sign-in's state): what they chose is what they get, with no second form. None when the
    sign-in carried no choice (signing in again)."""
    kinds = [kind for kind in chosen.get("export_kinds") or [] if kind in DataKind.values]
    if not kinds:
        return None
    data_format = chosen.get("data_format")
    if data_format not in DataFormat.values:
        data_format = DataFormat.JSON
    return start_exports(user, kinds, data_format)


def request_export(
    user: AbstractBaseUser,
    categories: Iterable[str],
    data_format: str,
    *,
    origin: str = ExportOrigin.SITE,
    api_token: ApiToken | None = None,
    scope: str | None = None,
) -> ExportRequest:
    """Records a new export of `categories` and sets the worker on asking TikTok for it, with
    `scope` when the caller chose the permission (exports.scopes.plan_exports), else with the
    one TikTok will use.

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
    if authorization.is_not_eligible:
        raise ExportNotAllowedError(
            _("TikTok offers data exports only to people in the EEA and the UK.")
        )
    used_up = _used_up(user, authorization)
    if scope is not None and not (
        scope in authorization.granted_scopes and covers(scope, wanted) and scope not in used_up
    ):
        scope = None
    if scope is None:
        scope = scope_for_request(wanted, authorization.granted_scopes, used_up)
    if scope is None and all(
        scope_for_request([c], authorization.granted_scopes, used_up) for c in wanted
    ):
        # Each is allowed, but by different permissions, and one TikTok request uses one.
        raise ExportNotAllowedError(
            _(
                "Each of these is allowed, but by a separate TikTok permission, and one "
                "request can use only one: ask for them one at a time."
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
                origin=origin,
                api_token_name=api_token.name if api_token else "",
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
