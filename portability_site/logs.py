"""Logging for the site's processes: a request id on every log line of a request, and a JSON
formatter that writes one JSON object per line for log collectors.

Wiring (portability_site/settings.py): RequestIdMiddleware first in MIDDLEWARE; RequestIdFilter on
the console handler, so that every record reaching it carries `request_id`; the handler's
formatter is JsonFormatter (LOG_FORMAT=json) or a plain format that shows %(request_id)s.

Into the Celery workers (the handlers are connected in portability_site/celery.py): a task
published while a request is handled carries the request's id in a message header
(`request_id`, put there by add_request_id_to_task on before_task_publish), and the worker runs
the task with that id in request_id_var (use_request_id_of_task on task_prerun, reset by
forget_request_id_of_task on task_postrun). Every log line of the task then carries it,
Celery's own "succeeded" and "retry" lines included; its "received" line comes before the task
runs and shows "-". A task the step publishes in turn carries the same id on, so every later
step a request caused shows it too. A task published outside any request (beat's sweep)
carries no id, and its lines show "-".
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponseBase

REQUEST_ID_HEADER = "X-Request-ID"
# What log lines carry outside any request: in Celery workers, beat, management commands.
NO_REQUEST_ID = "-"
# An id from outside is kept only if it is short and made of characters that cannot break a log
# line or a header: anything else (spaces, newlines, quotes, non-ASCII) could forge log entries.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# A ContextVar rather than a thread-local: gunicorn's gthread workers serve several requests at
# once in threads, and under ASGI a request hops between threads; each sees only its own id.
request_id_var: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST_ID)


def current_request_id() -> str:
    """The id of the request being handled in this context, or "-" outside a request."""
    return request_id_var.get()


def record_request_id(record: logging.LogRecord) -> str:
    """The request id for `record`: that of the request the record names, if it names one
    (django.request's and django.security's records do, in `record.request`), else that of the
    request being handled, else "-".

    Django logs a 4xx or 5xx answer after the whole middleware chain has returned, when the
    context no longer holds the id: the request on the record still does.
    """
    request_id = getattr(getattr(record, "request", None), "request_id", None)
    return request_id if isinstance(request_id, str) else request_id_var.get()


def sane_request_id(value: str | None) -> str | None:
    """`value` if it is 1-64 characters of [A-Za-z0-9._-], else None."""
    if value is not None and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return None


class RequestIdMiddleware:
    """Gives every request an id: the incoming X-Request-ID header when it is sane (so that a
    proxy's id and ours are the same and its access log lines up with ours), else a fresh
    uuid4 hex. The id is on `request.request_id`, in every log record written while the
    request is handled (through request_id_var), and in the response's X-Request-ID header.

    Goes first in MIDDLEWARE, so that the other middleware's log lines and answers (redirects,
    403s) carry it too. A streamed body is iterated by the server after this returns: log
    lines written while streaming carry "-".
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = sane_request_id(request.headers.get(REQUEST_ID_HEADER)) or uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            # The thread serves other requests next: this id must not leak into their lines.
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Puts `request_id` on every record it sees (record_request_id: its request's id, or "-"),
    so that a plain format can show %(request_id)s. Never drops a record.

    Attach it to the handler, not to a logger: a logger's filters see only the records logged
    on that very logger, a handler's see every record that reaches it, from any library.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = record_request_id(record)
        return True


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object on one line: time (UTC, ISO 8601 with milliseconds),
    level, logger, message, request_id, and `exception` (the traceback text) and `stack` when
    the record has them.

    Line breaks and non-ASCII characters are escaped, so that a message can never split into
    two lines or forge a second entry. `request_id` comes from RequestIdFilter when it ran, and
    from record_request_id otherwise, so the formatter is right on its own too.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or record_request_id(record),
        }
        if record.exc_info:
            # Cached on the record the way logging.Formatter does, for the other handlers.
            record.exc_text = record.exc_text or self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # ensure_ascii also escapes U+2028 and U+2029, which some readers take for line breaks.
        return json.dumps(entry, ensure_ascii=True)


# The message header that carries the request id to the worker. Celery puts custom headers on
# the task's request (task.request.request_id).
TASK_HEADER = "request_id"
# Where use_request_id_of_task keeps, on the task's request, what forget_request_id_of_task
# resets: one per run of a task, in the thread that runs it.
_RESET_ATTRIBUTE = "_request_id_reset"


def add_request_id_to_task(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """before_task_publish: the current request id goes into the message's headers (changed in
    place, as Celery sends them), unless there is none."""
    request_id = current_request_id()
    if headers is not None and request_id != NO_REQUEST_ID:
        headers[TASK_HEADER] = request_id


def use_request_id_of_task(task: Any = None, **kwargs: Any) -> None:
    """task_prerun: the task runs with the request id of its message, or "-" without one (a
    worker process runs one task after another: the previous one's id must not stay)."""
    request = getattr(task, "request", None)
    carried = getattr(request, TASK_HEADER, None)
    request_id = sane_request_id(carried if isinstance(carried, str) else None)
    token = request_id_var.set(request_id or NO_REQUEST_ID)
    if request is not None:
        setattr(request, _RESET_ATTRIBUTE, token)


def forget_request_id_of_task(task: Any = None, **kwargs: Any) -> None:
    """task_postrun: back to the id the worker had before the task ("-")."""
    token: Token[str] | None = getattr(getattr(task, "request", None), _RESET_ATTRIBUTE, None)
    if token is not None:
        request_id_var.reset(token)
