"""TikTok's paths, mounted under /tiktok-sandbox/, plus the sandbox's own pages.

The OAuth, user info and Data Portability paths are exactly TikTok's, so a client needs only a
different base URL.
"""

from __future__ import annotations

from django.urls import path

from tiktok_sandbox.views import authorize, oauth, pages, portability, user

app_name = "tiktok_sandbox"
urlpatterns = [
    path("", pages.index, name="index"),
    path("avatars/<str:open_id>.svg", pages.avatar, name="avatar"),
    path("v2/auth/authorize/", authorize.authorize, name="authorize"),
    path("v2/oauth/token/", oauth.token, name="token"),
    path("v2/oauth/revoke/", oauth.revoke, name="revoke"),
    path("v2/user/info/", user.user_info, name="user_info"),
    path("v2/user/data/add/", portability.add, name="data_add"),
    path("v2/user/data/check/", portability.check, name="data_check"),
    path("v2/user/data/cancel/", portability.cancel, name="data_cancel"),
    path("v2/user/data/download/", portability.download, name="data_download"),
]
