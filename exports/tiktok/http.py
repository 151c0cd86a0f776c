"""The transport: TikTok's URLs, one requests.Session with explicit timeouts, and TikTok's v2
error envelope turned into typed errors."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import requests
import urllib3
from django.conf import settings
from django.urls import reverse
from django.views.decorators.debug import sensitive_variables

from exports.tiktok.errors import (
    AccessTokenInvalidError,
    PermanentTikTokError,
    TikTokError,
    TransientTikTokError,
)

logger = logging.getLogger("exports.tiktok")

# Where the built-in sandbox is mounted on this site (portability_site/urls.py).
SANDBOX_PATH = "/tiktok-sandbox"

_session = requests.Session()


def auth_base_url() -> str:
    return settings.TIKTOK_AUTH_BASE_URL or settings.SITE_URL + SANDBOX_PATH


def api_base_url() -> str:
    return settings.TIKTOK_API_BASE_URL or settings.SITE_URL + SANDBOX_PATH


def authorize_url() -> str:
    return auth_base_url() + "/v2/auth/authorize/"


def token_url() -> str:
    return api_base_url() + "/v2/oauth/token/"


def user_info_url() -> str:
    return api_base_url() + "/v2/user/info/"


def portability_url(operation: str) -> str:
    """add, check, cancel or download."""
    return f"{api_base_url()}/v2/user/data/{operation}/"


def redirect_uri() -> str:
    """The callback registered at TikTok: built from SITE_URL, never from a request's Host."""
    return settings.SITE_URL + reverse("tiktok_callback")


def parse_scopes(value: str | None) -> tuple[str, ...]:
    """TikTok lists scopes comma-separated; order and duplicates carry no meaning."""
    return tuple(sorted({scope.strip() for scope in (value or "").split(",") if scope.strip()}))


def send(
    method: str,
    url: str,
    access_token: str,
    *,
    params: dict[str, str] | None = None,
    json: dict[str, Any] | None = None,
    stream: bool = False,
) -> requests.Response:
    try:
        return _session.request(
            method,
            url,
            params=params,
            json=json,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=timeouts(),
            stream=stream,
        )
    except requests.RequestException as error:
        raise network_error(error) from None


def network_error(error: requests.RequestException) -> TransientTikTokError:
    """A transport failure, saying whether the request may have reached TikTok: not if the
    connection was never made."""
    never_sent = isinstance(error, requests.ConnectTimeout) or (
        isinstance(error, requests.ConnectionError) and _failed_to_connect(error)
    )
    return TransientTikTokError(
        "network_error", type(error).__name__, may_have_taken_effect=not never_sent
    )


def _failed_to_connect(error: requests.ConnectionError) -> bool:
    reason = error.args[0] if error.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(
        reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.NameResolutionError
    )


def call_v2(
    method: str,
    url: str,
    access_token: str,
    *,
    params: dict[str, str] | None = None,
    json: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One call to a v2 resource API; returns `data` when `error.code` is `ok`."""
    return parse_v2_envelope(send(method, url, access_token, params=params, json=json))


def timeouts() -> tuple[float, float]:
    return (settings.TIKTOK_CONNECT_TIMEOUT, settings.TIKTOK_READ_TIMEOUT)


def is_json(response: requests.Response) -> bool:
    return "json" in response.headers.get("Content-Type", "").lower()


def request_id(value: object) -> int:
    """TikTok's int64 request_id. JSON numbers arrive as exact Python ints; a float means
    something on the way rounded it, and a rounded id names another request."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PermanentTikTokError("invalid_response", "TikTok's request_id is not an integer.")
    if isinstance(value, str) and not value.isdigit():
        raise PermanentTikTokError("invalid_response", "TikTok's request_id is not an integer.")
    request_id = int(value)
    if not 0 < request_id < 2**63:
        raise PermanentTikTokError("invalid_response", "TikTok's request_id is out of range.")
    return request_id


def timestamp(value: object) -> dt.datetime | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    return None


def parse_v2_envelope(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        raise error_for_status(response, "invalid_response", "TikTok's answer was not JSON.")
    code = str(error.get("code") or "")
    if code == "ok" and response.ok:
        data = body.get("data")
        return data if isinstance(data, dict) else {}
    logger.warning(
        "TikTok answered %s with %s (log_id %s)", response.status_code, code, error.get("log_id")
    )
    raise _v2_error(response, code, str(error.get("message") or ""), error)


def _v2_error(
    response: requests.Response, code: str, message: str, error: dict[str, Any]
) -> TikTokError:
    log_id = str(error.get("log_id") or "")
    if code == "access_token_invalid":
        return AccessTokenInvalidError(
            code, message, log_id=log_id, http_status=response.status_code
        )
    if code in {"rate_limit_exceeded", "internal_error"} or response.status_code >= 500:
        return TransientTikTokError(
            code,
            message,
            log_id=log_id,
            http_status=response.status_code,
            retry_after=retry_after(response),
            may_have_taken_effect=response.status_code != 429,
        )
    return PermanentTikTokError(
        code or "unknown_error", message, log_id=log_id, http_status=response.status_code
    )


def error_for_status(response: requests.Response, code: str, message: str) -> TikTokError:
    if response.status_code == 429 or response.status_code >= 500:
        return TransientTikTokError(
            code, message, http_status=response.status_code, retry_after=retry_after(response)
        )
    return PermanentTikTokError(code, message, http_status=response.status_code)


@sensitive_variables("form")
def post_oauth_form(
    url: str, form: dict[str, str]
) -> tuple[requests.Response, dict[str, Any] | None]:
    """POSTs a form to one of Login Kit's OAuth endpoints (token, revoke). Returns TikTok's
    answer and its JSON object body, or None where it has none. Raises TransientTikTokError
    when TikTok cannot be reached."""
    try:
        response = _session.post(url, data=form, timeout=timeouts())
    except requests.RequestException as error:
        raise network_error(error) from None
    try:
        body = response.json()
    except ValueError:
        return response, None
    return response, body if isinstance(body, dict) else None


def oauth_error(
    response: requests.Response,
    body: dict[str, Any],
    endpoint: str,
    *,
    unexplained_is_transient: bool = False,
) -> TikTokError:
    """The flat OAuth error an endpoint answered (tiktok-api.md §1.7), logged. Transient for
    server_error, temporarily_unavailable, 429 and 5xx, and with `unexplained_is_transient`
    for a failure that names no error; permanent otherwise."""
    error = str(body.get("error") or "")
    code = error or "invalid_response"
    logger.warning(
        "TikTok's %s endpoint answered %s with %s (log_id %s)",
        endpoint,
        response.status_code,
        code,
        body.get("log_id"),
    )
    description = str(body.get("error_description") or "")
    transient = error in {"server_error", "temporarily_unavailable"} or (
        unexplained_is_transient and not error
    )
    if transient or response.status_code == 429 or response.status_code >= 500:
        return TransientTikTokError(
            code, description, http_status=response.status_code, retry_after=retry_after(response)
        )
    return PermanentTikTokError(code, description, http_status=response.status_code)


def retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
