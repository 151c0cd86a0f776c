from __future__ import annotations

from django.apps import AppConfig


class TikTokSandboxConfig(AppConfig):
    name = "tiktok_sandbox"
    verbose_name = "TikTok sandbox"
