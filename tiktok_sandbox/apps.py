from __future__ import annotations

from django.apps import AppConfig


class TikTokSandboxConfig(AppConfig):
    name = "tiktok_sandbox"
    verbose_name = "TikTok sandbox"

    def ready(self) -> None:
        from tiktok_sandbox import checks  # noqa: F401, PLC0415  (registering needs the app registry ready)
