"""The task API's HTTP side (the contract: exports/openapi.yaml). Every answer is JSON with the
seed's `error` object `{code, message, log_id}`, whatever went wrong; the work is in
exports.services.task_api."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from exports.archive_store import archive_storage
from exports.data_views import attachment, share_response
from exports.models import ApiToken
from exports.ratelimit import REQUEST_EXPORT, seconds_to_wait
from exports.services.api_tokens import authenticate_api_token
from exports.services.extracts import json_items
from exports.services.task_api import (
    TaskApiError,
    create_task,
    new_task_of,
    resolve_download,
    shares_for,
    task_status,
)
from portability_site.logs import current_request_id

logger = logging.getLogger(__name__)

OPENAPI_DOCUMENT = Path(__file__).with_name("openapi.yaml")
# A task API body is a few hundred bytes; anything much larger is not one.
MAX_BODY_BYTES = 16 * 1024
# A task API body nests two levels ({"data_types": [...]}); much deeper is not one.
MAX_BODY_DEPTH = 32

ApiView = Callable[[HttpRequest, ApiToken, dict[str, Any]], JsonResponse]


def api_answer(
    status: int, data: dict[str, Any] | None, code: str = "ok", message: str = ""
) -> JsonResponse:
    """The seed's envelope. log_id is the request id every log line of this request carries
    (portability_site/logs.py), so an operator finds what happened from a client's report."""
    log_id = current_request_id()
    body: dict[str, Any] = {"error": {"code": code, "message": message, "log_id": log_id}}
    if data is not None:
        body = {"data": data, **body}
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


def task_endpoint(view: ApiView) -> Callable[[HttpRequest], HttpResponse]:
    """POST only, a bearer API token, a JSON object body; TaskApiError becomes its answer."""

    @csrf_exempt  # no cookies: the bearer token is the credential
    @never_cache
    @functools.wraps(view)
    def endpoint(request: HttpRequest) -> HttpResponse:
        try:
            if request.method != "POST":
                response = api_answer(405, None, "method_not_allowed", "Use POST.")
                response["Allow"] = "POST"
                return response
            token = _authenticate(request)
            return view(request, token, _json_object(request))
        except TaskApiError as refused:
            response = api_answer(
                refused.status, refused.data or None, refused.code, refused.message
            )
            if refused.status == 401:
                response["WWW-Authenticate"] = 'Bearer realm="task API"'
            return response

    return endpoint


@task_endpoint
def create(request: HttpRequest, token: ApiToken, body: dict[str, Any]) -> JsonResponse:
    # Read first: only a call that would start an export counts against the person's export
    # limit, which the dashboard's form shares, so a script's bad calls cannot lock them out.
    task = new_task_of(body)
    wait = seconds_to_wait(REQUEST_EXPORT, f"user:{token.user_id}")
    if wait is not None:
        response = api_answer(
            429, None, "rate_limit_exceeded", f"Too many tasks; try again in {wait} s."
        )
        response["Retry-After"] = str(wait)
        return response
    task_id = create_task(token, task)
    logger.info("Task API: user %s started export %s", token.user_id, task_id)
    return api_answer(200, {"task_id": task_id})


@task_endpoint
def status(request: HttpRequest, token: ApiToken, body: dict[str, Any]) -> JsonResponse:
    return api_answer(200, task_status(token, body.get("task_id")))


@task_endpoint
def shares(request: HttpRequest, token: ApiToken, body: dict[str, Any]) -> JsonResponse:
    """The reviewed shares the token's owner offered to this token's holder."""
    return api_answer(200, {"shares": shares_for(token)})


@csrf_exempt  # it changes nothing and serves only GET and HEAD: other methods get a JSON 405
@never_cache
def download(request: HttpRequest, signed: str) -> HttpResponse:
    """A download URL from task/status: no session, no token header; the signature is the
    credential. Served as the dashboard's download is (a storage link or a Range-capable
    stream)."""
    if request.method not in ("GET", "HEAD"):
        response = api_answer(405, None, "method_not_allowed", "Use GET.")
        response["Allow"] = "GET, HEAD"
        return response
    try:
        download = resolve_download(signed)
    except TaskApiError as refused:
        return api_answer(refused.status, None, refused.code, refused.message)
    if download.share is not None:
        return share_response(download.share)
    if not download.data_type:
        return archive_storage().download_response(request, download.export)
    content = json_items(
        download.export, download.datasets, envelope={"data_type": download.data_type}
    )
    return attachment(
        (text.encode() for text in content),
        "application/json",
        f"tiktok-{download.data_type.lower()}.json",
    )


@require_safe
def openapi_document(request: HttpRequest) -> HttpResponse:
    """This API's OpenAPI document."""
    return FileResponse(OPENAPI_DOCUMENT.open("rb"), content_type="application/yaml")


def _authenticate(request: HttpRequest) -> ApiToken:
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise TaskApiError(
            401, "access_token_invalid", "Send an API token: Authorization: Bearer <token>."
        )
    token = authenticate_api_token(credential.strip())
    if token is None:
        raise TaskApiError(
            401, "access_token_invalid", "The API token is unknown, expired or revoked."
        )
    return token


def _json_object(request: HttpRequest) -> dict[str, Any]:
    too_large = TaskApiError(400, "invalid_params", "The body is too large.")
    try:
        raw = request.body
    except RequestDataTooBig:
        raise too_large from None
    if len(raw) > MAX_BODY_BYTES:
        raise too_large
    too_deep = TaskApiError(400, "invalid_params", "The body nests too deeply.")
    try:
        body = json.loads(raw or b"null")
    except RecursionError:  # deeper than the parser can go: no task body is
        raise too_deep from None
    except (ValueError, UnicodeDecodeError):
        raise TaskApiError(400, "invalid_params", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise TaskApiError(400, "invalid_params", "The body must be a JSON object.")
    # What the parser could still read may be too deep for what comes after it (repr in an
    # error message, JSON encoding): a task body is two levels deep.
    if _depth(body) > MAX_BODY_DEPTH:
        raise too_deep
    return body


def _depth(value: object) -> int:
    """How deeply `value` nests lists and objects, found without recursion."""
    deepest = 0
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in item)
    return deepest
