"""HTTP plumbing shared by the sandbox's API endpoints: TikTok's response shapes and log ids,
bearer-token authentication and the decorators that apply injected faults (an error fault
answers instead of the view; the other kinds run the view and break its answer on the way
back, through ``tiktok_sandbox.wire``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from functools import wraps
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from tiktok_sandbox import grants, wire
from tiktok_sandbox.errors import ApiError, OAuthError, access_token_invalid, invalid_params
from tiktok_sandbox.faults import take_fault
from tiktok_sandbox.models import FaultKind, Grant, TokenPair

View = Callable[..., HttpResponse]


def new_log_id() -> str:
    """Return a TikTok-like log id: UTC ``YYYYMMDDHHMMSS`` and 20 uppercase hex characters."""
    return timezone.now().strftime("%Y%m%d%H%M%S") + secrets.token_hex(10).upper()


def oauth_response(payload: dict[str, Any], status: int = HTTPStatus.OK) -> JsonResponse:
    """A JSON answer of an OAuth endpoint; never cached, as RFC 6749 §5.1 requires."""
    response = JsonResponse(payload, status=status)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def oauth_error_response(error: str, description: str, status: int) -> JsonResponse:
    """TikTok's flat OAuth error: ``{"error", "error_description", "log_id"}``."""
    payload = {"error": error, "error_description": description, "log_id": new_log_id()}
    return oauth_response(payload, status)


def api_response(data: dict[str, Any] | None) -> JsonResponse:
    """A v2 success: ``data`` plus the ``error`` object with code ``ok``.

    ``data`` None leaves the key out, as Cancel answers only ``{"error": {...}}``.
    """
    payload: dict[str, Any] = {} if data is None else {"data": data}
    payload["error"] = _error_object("ok", "")
    return JsonResponse(payload)


def api_error_response(
    code: str, message: str, status: int, *, status_in_body: bool = False
) -> JsonResponse:
    """A v2 failure: empty ``data`` plus the ``error`` object.

    ``status_in_body`` adds ``error.http_status_code``, as TikTok's Download failure shows.
    """
    error: dict[str, Any] = _error_object(code, message)
    if status_in_body:
        error["http_status_code"] = status
    return JsonResponse({"data": {}, "error": error}, status=status)


def json_body(request: HttpRequest, *, allow_empty: bool = False) -> dict[str, Any]:
    """Return the request's JSON object body (``{}`` for an empty body if ``allow_empty``).

    Raises ApiError ``invalid_params`` (400) for a body that is missing, not JSON or not an
    object. The Content-Type is not checked: TikTok's clients all send application/json, and
    refusing a missing header would only make the sandbox stricter than anything documented.
    """
    if not request.body.strip():
        if allow_empty:
            return {}
        raise invalid_params("The request body is missed; send a JSON object.")
    try:
        body = json.loads(request.body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise invalid_params(f"The request body is not valid JSON: {exc}.") from exc
    if not isinstance(body, dict):
        raise invalid_params("The request body must be a JSON object.")
    return body


def authenticate(request: HttpRequest) -> TokenPair:
    """Return the token pair of the request's ``Authorization: Bearer`` access token.

    Raises ApiError ``access_token_invalid`` (401) when the header is missing or malformed or
    the token is unknown, expired or revoked.
    """
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise access_token_invalid()
    pair = grants.find_access_token(token.strip())
    if pair is None:
        raise access_token_invalid()
    return pair


def require_scopes(grant: Grant, needed: Iterable[str]) -> None:
    """Raise ApiError ``scope_not_authorized`` (401) unless ``grant`` has every needed scope."""
    missing = sorted(set(needed) - set(grant.scopes))
    if missing:
        message = f"The user did not authorize the scopes this request needs: {', '.join(missing)}."
        raise ApiError("scope_not_authorized", message, HTTPStatus.UNAUTHORIZED)


def oauth_endpoint(endpoint: str) -> Callable[[View], View]:
    """Decorate an OAuth view: apply a pending fault of ``endpoint``, render ``OAuthError``."""

    def fault_response(error: str, description: str, status: int) -> HttpResponse:
        return oauth_error_response(error, description, status)

    def error_response(exc: OAuthError) -> HttpResponse:
        return oauth_error_response(exc.error, exc.description, exc.status)

    return _endpoint(endpoint, OAuthError, fault_response, error_response)


def api_endpoint(endpoint: str, *, status_in_body: bool = False) -> Callable[[View], View]:
    """Decorate a v2 API view: apply a pending fault of ``endpoint``, render ``ApiError``.

    ``status_in_body`` adds ``error.http_status_code`` to every error (see api_error_response).
    """

    def fault_response(code: str, message: str, status: int) -> HttpResponse:
        return api_error_response(code, message, status, status_in_body=status_in_body)

    def error_response(exc: ApiError) -> HttpResponse:
        return fault_response(exc.code, exc.message, exc.status)

    return _endpoint(endpoint, ApiError, fault_response, error_response)


def _endpoint[E: Exception](
    endpoint: str,
    error_type: type[E],
    fault_response: Callable[[str, str, int], HttpResponse],
    error_response: Callable[[E], HttpResponse],
) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            fault = take_fault(endpoint)
            if fault is not None and fault.kind == FaultKind.ERROR:
                assert fault.http_status is not None  # noqa: S101 - a constraint of the model
                response = fault_response(fault.error, fault.description, fault.http_status)
                if fault.retry_after is not None:
                    response["Retry-After"] = str(fault.retry_after)
                return response
            try:
                response = view(request, *args, **kwargs)
            except error_type as exc:
                response = error_response(exc)
            if fault is None:
                return response
            # The other kinds let the request do its work, then break the answer on the way.
            try:
                return wire.apply_fault(fault, request, response)
            except wire.ConnectionUnavailableError as exc:
                return fault_response("internal_error", str(exc), HTTPStatus.INTERNAL_SERVER_ERROR)

        return wrapper

    return decorate


def _error_object(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "log_id": new_log_id()}
