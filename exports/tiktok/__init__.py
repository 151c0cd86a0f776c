"""The only package that talks to TikTok.

Every TikTok URL is derived from settings.TIKTOK_AUTH_BASE_URL and settings.TIKTOK_API_BASE_URL,
the one switch between real TikTok, the built-in sandbox and any other emulator. Calls go through
one requests.Session with explicit connect and read timeouts. Failures surface as one of two
families: TransientTikTokError (try again later: 5xx, 429, timeouts, resets) or
PermanentTikTokError (the user or the request must change). Token strings never appear in
exceptions or logs. Tokens are read and refreshed only here.

Modules: `errors`, `http` (URLs, transport, the v2 envelope), `oauth` (code exchange, refresh,
user info), `portability` (the Data Portability API), `webhooks` (signature checks).
"""

from __future__ import annotations

from exports.tiktok.errors import (
    AccessTokenInvalidError,
    InvalidSignatureError,
    NotEligibleError,
    PermanentTikTokError,
    TikTokError,
    TransientTikTokError,
)
from exports.tiktok.http import (
    api_base_url,
    auth_base_url,
    authorize_url,
    portability_url,
    redirect_uri,
    token_url,
    user_info_url,
)
from exports.tiktok.oauth import (
    TikTokProfile,
    TokenGrant,
    current_access_token,
    exchange_code,
    fetch_user_info,
    grant_is_alive,
    parse_scopes,
    parse_token_response,
    refresh_access_token,
)
from exports.tiktok.portability import ArchiveStream, DataRequestStatus, PortabilityClient
from exports.tiktok.webhooks import verify_webhook_signature

__all__ = [
    "AccessTokenInvalidError",
    "ArchiveStream",
    "DataRequestStatus",
    "InvalidSignatureError",
    "NotEligibleError",
    "PermanentTikTokError",
    "PortabilityClient",
    "TikTokError",
    "TikTokProfile",
    "TokenGrant",
    "TransientTikTokError",
    "api_base_url",
    "auth_base_url",
    "authorize_url",
    "current_access_token",
    "exchange_code",
    "fetch_user_info",
    "grant_is_alive",
    "parse_scopes",
    "parse_token_response",
    "portability_url",
    "redirect_uri",
    "refresh_access_token",
    "token_url",
    "user_info_url",
    "verify_webhook_signature",
]
