"""Data Portability requests: categories, which scope a request uses, and their life.

A request is ``pending`` until its ready time, then ``downloading`` (TikTok's word for ready)
until its expiry time, then ``expired``; Cancel makes a pending or ready request ``cancelled``.
The times are stored on the row when the request is made, so the status follows from them and
``clock()`` alone and no background job moves it.

Scope rules (tiktok-api.md §2.2): ``portability.<type>.single`` allows one request and
``.ongoing`` any number. A request uses an ``.ongoing`` scope if one covers it; otherwise the
broadest unused ``.single`` scope that covers it, which is then used up for good (also if the
request is later cancelled: TikTok says a ``.single`` scope "can be called only once").
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from tiktok_sandbox import webhooks
from tiktok_sandbox.errors import ApiError, invalid_params, scope_not_authorized
from tiktok_sandbox.layouts import archive_style
from tiktok_sandbox.models import (
    DataFormat,
    Grant,
    PortabilityRequest,
    RequestStatus,
)
from tiktok_sandbox.personas import Persona, get_persona

ALL_DATA = "all_data"
# Category -> the <type> of the portability.<type>.* scopes that allow it besides
# portability.all.*; all_data is allowed by portability.all.* only.
CATEGORY_TYPES: dict[str, str] = {
    "activity": "activity",
    "video": "postsandprofile",
    "profile": "postsandprofile",
    "direct_message": "directmessages",
}
CATEGORIES: tuple[str, ...] = (ALL_DATA, *CATEGORY_TYPES)
# Scope types, broadest first: all covers everything, the others are disjoint.
SCOPE_TYPES: tuple[str, ...] = ("all", "activity", "directmessages", "postsandprofile")
# The fields Check Status can answer, in TikTok's order.
CHECK_FIELDS: tuple[str, ...] = (
    "request_id",
    "apply_time",
    "collect_time",
    "status",
    "data_format",
    "category_selection_list",
)
UNKNOWN_REQUEST = "Incorrect `request_id`. Please validate the request."
# TikTok does not document what a person outside the EEA and the UK gets (tiktok-api.md §2.1,
# UNCERTAIN); invalid_params (400) with a sentence that says why is the sandbox's choice.
NOT_IN_EEA_OR_UK = "Data portability is only available to users in the EEA and the UK."
FIRST_REQUEST_ID = 2**60  # every id is above 2**53: a client that parses it as a float fails
LAST_REQUEST_ID = 2**63 - 1


@dataclass(frozen=True, order=True)
class PortabilityScope:
    """A ``portability.<type>.<mode>`` scope; ordered broadest first."""

    rank: int
    type: str
    mode: str

    @classmethod
    def parse(cls, name: str) -> PortabilityScope | None:
        """The scope named ``name``, or None if it is not a portability scope."""
        prefix, _, rest = name.partition(".")
        scope_type, _, mode = rest.partition(".")
        if prefix != "portability" or scope_type not in SCOPE_TYPES:
            return None
        if mode not in ("single", "ongoing"):
            return None
        return cls(SCOPE_TYPES.index(scope_type), scope_type, mode)

    @property
    def name(self) -> str:
        return f"portability.{self.type}.{self.mode}"

    @property
    def is_single(self) -> bool:
        return self.mode == "single"

    def covers(self, categories: frozenset[str]) -> bool:
        """Whether this scope allows a request for every one of ``categories``."""
        if self.type == "all":
            return True
        return ALL_DATA not in categories and all(
            CATEGORY_TYPES[category] == self.type for category in categories
        )


def clock() -> datetime:
    """The current time for statuses; tests move it with ``monkeypatch.setattr``."""
    return timezone.now()


def parse_selection(value: Any) -> list[str]:
    """Validate ``category_selection_list`` and return it exactly as given.

    Raises ApiError ``invalid_params`` for anything but a non-empty list of known categories.
    """
    if value is None:
        raise invalid_params("category_selection_list is missed in request.")
    if not isinstance(value, list) or not value:
        raise invalid_params("category_selection_list must be a non-empty list of categories.")
    if unknown := [item for item in value if not isinstance(item, str) or item not in CATEGORIES]:
        shown = ", ".join(repr(item) for item in unknown)
        valid = ", ".join(CATEGORIES)
        raise invalid_params(f"Invalid category_selection_list value: {shown}. Valid: {valid}.")
    return value


def parse_data_format(value: Any) -> str:
    """Validate ``data_format``: "json" or "text". Raises ApiError ``invalid_params``."""
    if value is None:
        raise invalid_params("data_format is missed in request.")
    if value not in DataFormat.values:
        raise invalid_params(f"Invalid data_format {value!r}: must be json or text.")
    return value


def effective_categories(selection: list[str]) -> frozenset[str]:
    """The categories a selection asks for: ``all_data`` overrides every other one."""
    return frozenset({ALL_DATA}) if ALL_DATA in selection else frozenset(selection)


def choose_scope(granted: list[str], categories: frozenset[str], used: set[str]) -> str:
    """Return the name of the scope a request for ``categories`` uses.

    An ``.ongoing`` scope that covers them if there is one (never used up); otherwise the
    broadest covering ``.single`` scope not in ``used``. Raises ApiError
    ``scope_not_authorized`` when no granted scope covers them or every covering one is used.
    """
    covering = sorted(
        scope
        for name in granted
        if (scope := PortabilityScope.parse(name)) is not None and scope.covers(categories)
    )
    if ongoing := [scope for scope in covering if not scope.is_single]:
        return ongoing[0].name
    if fresh := [scope for scope in covering if scope.name not in used]:
        return fresh[0].name
    if covering:
        names = " and ".join(scope.name for scope in covering)
        verb = "was" if len(covering) == 1 else "were"
        raise scope_not_authorized(
            f"{names} {verb} already used for a request; a .single scope allows one request."
        )
    raise scope_not_authorized(
        f"The user did not authorize a scope for {', '.join(sorted(categories))}: "
        f"this request needs {_needed(categories)}."
    )


def create_request(grant: Grant, *, data_format: str, selection: list[str]) -> PortabilityRequest:
    """Record a new Data Portability request of ``grant``'s person and return it.

    The request uses a scope as ``choose_scope`` says; its ready and expiry times and archive
    size come from the settings now, its archive's style from the settings and the persona
    (``layouts.archive_style``). Schedules the ``portability.download.ready`` webhook.
    Raises ApiError: ``invalid_params`` for a person outside the EEA and the UK,
    ``scope_not_authorized`` when no scope allows the request. Not idempotent: every call that
    succeeds is a new request.
    """
    persona = persona_of(grant)
    if not persona.in_eea_or_uk:
        raise invalid_params(NOT_IN_EEA_OR_UK)
    categories = effective_categories(selection)
    with transaction.atomic():
        # Lock the grant: of two concurrent requests, only one can use a .single scope.
        Grant.objects.select_for_update().filter(pk=grant.pk).first()
        used = set(grant.data_requests.values_list("scope", flat=True))
        scope = choose_scope(grant.scopes, categories, used)
        data_request = _insert(
            grant, persona, scope=scope, data_format=data_format, selection=selection, now=clock()
        )
        webhooks.schedule_download_ready(data_request)
    return data_request


def requests_for(grant: Grant) -> QuerySet[PortabilityRequest]:
    """The requests ``grant``'s person made through this app, under any of their grants."""
    return PortabilityRequest.objects.filter(client_key=grant.client_key, open_id=grant.open_id)


def find_request(grant: Grant, request_id: int) -> PortabilityRequest:
    """Return the person's request ``request_id``.

    Raises ApiError ``invalid_params`` if it does not exist or belongs to someone else (the two
    are indistinguishable on purpose).
    """
    data_request = requests_for(grant).filter(request_id=request_id).first()
    if data_request is None:
        raise invalid_params(UNKNOWN_REQUEST)
    return data_request


def cancel_request(grant: Grant, request_id: int) -> PortabilityRequest:
    """Cancel the person's pending or ready request ``request_id``; return it.

    Its ready webhook, if not sent yet, will not be. A used ``.single`` scope stays used.
    Raises ApiError ``invalid_params`` for an unknown, foreign, expired or cancelled request.
    """
    with transaction.atomic():
        data_request = requests_for(grant).select_for_update().filter(request_id=request_id).first()
        if data_request is None:
            raise invalid_params(UNKNOWN_REQUEST)
        now = clock()
        status = data_request.status(now)
        if status not in (RequestStatus.PENDING, RequestStatus.DOWNLOADING):
            raise invalid_params(f"The request is {status} and can no longer be cancelled.")
        data_request.cancelled_at = now
        data_request.save(update_fields=["cancelled_at"])
        webhooks.skip_scheduled(data_request)
    return data_request


def downloadable_request(grant: Grant, request_id: int) -> PortabilityRequest:
    """Return the person's request ``request_id`` if it can be downloaded now.

    Raises ApiError ``invalid_params`` unless it exists, is theirs and is ``downloading``.
    Downloading again within the window is allowed (TikTok does not say; lenient).
    """
    data_request = find_request(grant, request_id)
    status = data_request.status(clock())
    if status != RequestStatus.DOWNLOADING:
        raise invalid_params(
            f"Incorrect `request_id`. The request is {status}; only a request in status "
            "downloading (ready) can be downloaded."
        )
    return data_request


def require_portability_scope(grant: Grant) -> None:
    """Raise ApiError ``scope_not_authorized`` unless ``grant`` has some portability scope."""
    if not any(PortabilityScope.parse(name) for name in grant.scopes):
        raise scope_not_authorized("The user did not authorize any portability scope.")


def persona_of(grant: Grant) -> Persona:
    """The persona behind ``grant``. Raises ApiError ``internal_error`` if it is gone."""
    persona = get_persona(grant.open_id)
    if persona is None:
        raise ApiError(
            "internal_error", "The user no longer exists.", HTTPStatus.INTERNAL_SERVER_ERROR
        )
    return persona


def check_data(data_request: PortabilityRequest, fields: list[str]) -> dict[str, Any]:
    """Check Status's ``data``: the requested ``fields`` of ``data_request``, nothing else."""
    values: dict[str, Any] = {
        "request_id": data_request.request_id,
        "apply_time": int(data_request.applied_at.timestamp()),
        "collect_time": int(data_request.collect_time.timestamp()),
        "status": data_request.status(clock()),
        "data_format": data_request.data_format,
        "category_selection_list": data_request.category_selection_list,
    }
    return {field: values[field] for field in fields}


def new_request_id() -> int:
    """A random request id between 2**60 and 2**63 - 1."""
    return FIRST_REQUEST_ID + secrets.randbelow(LAST_REQUEST_ID - FIRST_REQUEST_ID + 1)


def _insert(
    grant: Grant,
    persona: Persona,
    *,
    scope: str,
    data_format: str,
    selection: list[str],
    now: datetime,
) -> PortabilityRequest:
    style = archive_style(persona)
    ready_at = now + timedelta(seconds=settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER)
    expires_at = ready_at + timedelta(seconds=settings.TIKTOK_SANDBOX_EXPORT_EXPIRES_AFTER)
    for _ in range(3):
        try:
            with transaction.atomic():
                return PortabilityRequest.objects.create(
                    request_id=new_request_id(),
                    grant=grant,
                    client_key=grant.client_key,
                    open_id=grant.open_id,
                    scope=scope,
                    data_format=data_format,
                    category_selection_list=selection,
                    applied_at=now,
                    ready_at=ready_at,
                    expires_at=expires_at,
                    archive_size=settings.TIKTOK_SANDBOX_ARCHIVE_SIZE,
                    archive_layout=style.layout,
                    archive_language=style.language,
                    archive_unknown_section=style.unknown_section,
                )
        except IntegrityError:  # a request id drawn twice: one chance in 2**62, draw again
            continue
    raise ApiError("internal_error", "Could not allocate a request id.", 500)


def _needed(categories: frozenset[str]) -> str:
    types = {CATEGORY_TYPES.get(category) for category in categories}
    if len(types) == 1 and None not in types:
        (scope_type,) = types
        return f"portability.{scope_type}.single or .ongoing, or portability.all.single or .ongoing"
    return "portability.all.single or portability.all.ongoing"
