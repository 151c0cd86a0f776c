from __future__ import annotations

from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "TikTok exports"

    def ready(self) -> None:
        from exports import checks, receivers  # noqa: F401, PLC0415  (registering needs the app registry ready)
