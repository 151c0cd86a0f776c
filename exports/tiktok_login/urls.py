from __future__ import annotations

from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns

from exports.tiktok_login.provider import TikTokProvider

urlpatterns = default_urlpatterns(TikTokProvider)
