"""Fault injection: make the next requests to a sandbox endpoint fail the way TikTok can.

Faults live in the database, so a test can inject one from its own process and the site under
test meets it over HTTP. Usage::

    inject_fault("token", error="server_error", http_status=503, times=2)

The next two token requests answer that error; the third is served normally. Each endpoint
decides how an error looks on the wire: a redirect for "authorize", a flat OAuth error for
"token" and "revoke", the v2 envelope for "user_info" and the Data Portability endpoints ("add",
"check", "cancel", "download"). A new endpoint joins by adding a ``FaultEndpoint``
member and calling ``take_fault`` (or using the decorators in ``tiktok_sandbox.api``).

A throttling fault can say when to come back::

    inject_fault("check", error="rate_limit_exceeded", http_status=429, retry_after=7)

Besides answering an error (``kind="error"``, the default), a fault can break the answer on its
way back, the ways a server that crashes or a network that fails does. These kinds carry no
error, status or Retry-After; ``tiktok_sandbox.wire`` carries them out.

``kind="lost_answer"`` (every endpoint but "authorize"): the request is carried out as usual,
then the connection is reset (TCP RST) before a byte of the answer leaves. The client cannot
tell whether it worked: the case of a non-idempotent call like Add Data Request::

    inject_fault("add", kind="lost_answer")

The stream kinds, for "download" only, strike at ``at``, a fraction of the archive's size
(0.3: after 30 % of the bytes), and apply to the next archive actually sent: a download
refused with an error (not ready, a bad token) leaves the fault pending.

- ``"cut"``: the headers promise the whole archive (Content-Length), the body stops at ``at``
  and the connection is closed normally (FIN), as by a server that died mid-answer.
- ``"unterminated"``: the body is sent chunked (no Content-Length) up to ``at``, then the
  connection is closed before the terminating zero-length chunk. ``at=1`` sends every byte and
  leaves out only the terminator.
- ``"reset"``: the body stops at ``at`` and the connection is reset (TCP RST, SO_LINGER 0),
  as by a load balancer or a NAT dropping the flow.
- ``"stall"``: no byte is sent for ``seconds`` after ``at``; then the rest follows. A client
  whose read timeout is shorter gives up; a patient one gets the whole archive.
- ``"flip"``: the whole archive is sent, with the bits of its byte at ``at`` inverted: only a
  check of the content (the zip's CRC-32s) notices.

For example, reset the first two downloads at 30 % and then serve them normally::

    inject_fault("download", kind="reset", at=0.3, times=2)
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tiktok_sandbox.models import FaultEndpoint, FaultKind, SandboxFault

STREAM_KINDS = frozenset(
    {FaultKind.CUT, FaultKind.UNTERMINATED, FaultKind.RESET, FaultKind.STALL, FaultKind.FLIP}
)
# Where a stream fault strikes unless told: halfway through the body.
DEFAULT_AT = 0.5


def inject_fault(
    endpoint: str,
    *,
    kind: str = FaultKind.ERROR,
    error: str = "",
    http_status: int | None = None,
    description: str = "",
    times: int = 1,
    retry_after: int | None = None,
    at: float | None = None,
    seconds: float | None = None,
) -> SandboxFault:
    """Make the next ``times`` requests to ``endpoint`` meet a fault of ``kind``.

    For an error fault: ``error`` is the OAuth ``error`` or the v2 ``error.code``;
    ``description`` its ``error_description`` or ``error.message``. ``http_status`` is the
    response's status (for "authorize", a redirect, it is recorded but unused).
    ``retry_after``, if given, is sent as a ``Retry-After`` header (in seconds) with each
    faulty response. For a stream fault, ``at`` (default 0.5) and, for a stall, ``seconds``;
    see the module's docstring. Faults queue in the order injected. Returns the stored fault.

    Raises ValueError for an unknown endpoint or kind, a status outside 400-599, a blank error,
    ``times`` below 1, a negative ``retry_after``, or arguments the kind does not take.
    """
    if kind in STREAM_KINDS and at is None:
        at = DEFAULT_AT
    validate_fault(
        endpoint,
        kind=kind,
        error=error,
        http_status=http_status,
        description=description,
        times=times,
        retry_after=retry_after,
        at=at,
        seconds=seconds,
    )
    return SandboxFault.objects.create(
        endpoint=endpoint,
        kind=kind,
        error=error,
        http_status=http_status,
        description=description,
        remaining=times,
        retry_after=retry_after,
        at_fraction=at,
        stall_seconds=seconds,
    )


def take_fault(endpoint: str) -> SandboxFault | None:
    """Consume one use of the oldest pending fault for ``endpoint`` and return it, or None.

    Atomic: the row is locked while it is decremented, so concurrent requests each take at most
    one use and a fault injected ``times`` times fails exactly ``times`` requests.
    """
    with transaction.atomic():
        fault = (
            SandboxFault.objects.select_for_update()
            .filter(endpoint=endpoint, remaining__gt=0)
            .order_by("created_at", "pk")
            .first()
        )
        if fault is None:
            return None
        fault.remaining -= 1
        fault.last_taken_at = timezone.now()
        fault.save(update_fields=["remaining", "last_taken_at"])
    return fault


def give_back(fault: SandboxFault) -> None:
    """Return a use taken by ``take_fault`` that had nothing to act on (a stream fault on a
    download answered with an error): the next request meets the fault instead."""
    SandboxFault.objects.filter(pk=fault.pk).update(remaining=F("remaining") + 1)


def clear_faults(endpoint: str | None = None) -> int:
    """Drop the pending faults of ``endpoint`` (all endpoints if None); return how many."""
    pending = SandboxFault.objects.filter(remaining__gt=0)
    if endpoint is not None:
        pending = pending.filter(endpoint=endpoint)
    return pending.update(remaining=0)


def validate_fault(
    endpoint: str,
    *,
    kind: str,
    error: str,
    http_status: int | None,
    description: str,
    times: int,
    retry_after: int | None,
    at: float | None,
    seconds: float | None,
) -> None:
    """Raise ValueError unless the arguments make a fault that can be served (inject_fault's
    rules; the admin's form applies them too)."""
    if endpoint not in FaultEndpoint.values:
        known = ", ".join(FaultEndpoint.values)
        raise ValueError(f"Unknown sandbox endpoint {endpoint!r}; known: {known}.")
    if kind not in FaultKind.values:
        raise ValueError(f"Unknown fault kind {kind!r}; known: {', '.join(FaultKind.values)}.")
    if times < 1:
        raise ValueError(f"A fault must apply at least once, not {times} times.")
    if kind == FaultKind.ERROR:
        _validate_error(error, http_status, retry_after, at, seconds)
    else:
        _validate_breakage(
            endpoint,
            kind,
            error=error,
            http_status=http_status,
            description=description,
            retry_after=retry_after,
        )
        _validate_timing(kind, at, seconds)


def _validate_error(
    error: str,
    http_status: int | None,
    retry_after: int | None,
    at: float | None,
    seconds: float | None,
) -> None:
    if not error.strip():
        raise ValueError("A fault needs an error code.")
    if http_status is None or not 400 <= http_status <= 599:
        raise ValueError(f"A fault's HTTP status must be 400-599, not {http_status}.")
    if retry_after is not None and retry_after < 0:
        raise ValueError(f"retry_after must be 0 or more seconds, not {retry_after}.")
    if at is not None or seconds is not None:
        raise ValueError("An error fault answers at once: at and seconds are for stream faults.")


def _validate_breakage(
    endpoint: str,
    kind: str,
    *,
    error: str,
    http_status: int | None,
    description: str,
    retry_after: int | None,
) -> None:
    if error or http_status is not None or description or retry_after is not None:
        raise ValueError(
            f"A {kind} fault sends no error: leave out error, http_status, description and "
            "retry_after."
        )
    if kind in STREAM_KINDS and endpoint != FaultEndpoint.DATA_DOWNLOAD:
        raise ValueError(f"A {kind} fault breaks an archive stream: only 'download' sends one.")
    if endpoint == FaultEndpoint.AUTHORIZE:
        raise ValueError("'authorize' answers a browser with a redirect: it takes error faults.")


def _validate_timing(kind: str, at: float | None, seconds: float | None) -> None:
    if kind == FaultKind.LOST_ANSWER:
        if at is not None or seconds is not None:
            raise ValueError("A lost answer has no body to strike in: leave out at and seconds.")
        return
    # Only an unterminated body can be whole and still broken (its terminator missing).
    whole_allowed = kind == FaultKind.UNTERMINATED
    if at is None or not (0.0 <= at < 1.0 or (whole_allowed and at == 1.0)):
        limit = "1" if whole_allowed else "below 1"
        raise ValueError(f"at must be a fraction of the body from 0 to {limit}, not {at}.")
    if kind == FaultKind.STALL and (seconds is None or seconds <= 0):
        raise ValueError(f"A stall needs seconds above 0, not {seconds}.")
    if kind != FaultKind.STALL and seconds is not None:
        raise ValueError(f"seconds is for stall faults, not {kind}.")
