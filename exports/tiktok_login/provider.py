from __future__ import annotations

from allauth.socialaccount.providers.tiktok.provider import TikTokProvider as AllauthTikTokProvider

from exports.scopes import BASIC_SCOPE
from exports.tiktok_login.views import TikTokOAuth2Adapter


class TikTokProvider(AllauthTikTokProvider):
    oauth2_adapter_class = TikTokOAuth2Adapter
    # TikTok's web consent page has been seen demanding a code_challenge; S256 either way.
    pkce_enabled_default = True

    def get_default_scope(self) -> list[str]:
        return [BASIC_SCOPE]

    def extract_common_fields(self, data: dict) -> dict:
        # TikTok gives no email address; allauth derives a unique username from the name.
        return {"username": data.get("display_name") or "tiktok", "name": data.get("display_name")}
