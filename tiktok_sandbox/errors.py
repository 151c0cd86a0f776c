"""The two error families TikTok's APIs speak, as exceptions the views turn into responses.

OAuth endpoints (token, revoke) answer a flat ``{error, error_description, log_id}``; the v2
resource APIs (user info, Data Portability) answer the ``{data, error}`` envelope.
"""

from __future__ import annotations

from http import HTTPStatus


class OAuthError(Exception):
    """An OAuth error (tiktok-api.md §1.7): ``error`` code, description and HTTP status."""

    def __init__(self, error: str, description: str, status: int = HTTPStatus.BAD_REQUEST) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


class ApiError(Exception):
    """A v2 API error (tiktok-api.md §1.9): ``error.code``, message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = HTTPStatus.BAD_REQUEST) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def invalid_client() -> OAuthError:
    """The error for missing or wrong client credentials (401, unlike the other OAuth errors)."""
    return OAuthError(
        "invalid_client",
        "Client key or secret is invalid or missed in request.",
        HTTPStatus.UNAUTHORIZED,
    )


def invalid_request(description: str) -> OAuthError:
    """The error for a missing or malformed parameter."""
    return OAuthError("invalid_request", description)


def invalid_grant(description: str) -> OAuthError:
    """The error for a code or refresh token that cannot be exchanged."""
    return OAuthError("invalid_grant", description)


def access_token_invalid() -> ApiError:
    """The v2 error for a missing, unknown, expired or revoked bearer token."""
    return ApiError(
        "access_token_invalid",
        "The access token is invalid or not found in the request.",
        HTTPStatus.UNAUTHORIZED,
    )


def invalid_params(message: str) -> ApiError:
    """The v2 error for a missing or invalid request field (400); ``message`` says which."""
    return ApiError("invalid_params", message, HTTPStatus.BAD_REQUEST)


def scope_not_authorized(message: str) -> ApiError:
    """The v2 error for a call the granted scopes do not allow (401)."""
    return ApiError("scope_not_authorized", message, HTTPStatus.UNAUTHORIZED)
