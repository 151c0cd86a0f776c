from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from exports import services


class Command(BaseCommand):
    help = "Publish every export step that is due (what beat runs every EXPORT_SWEEP_INTERVAL)."

    def handle(self, *args: Any, **options: Any) -> None:
        published = services.sweep_exports()
        self.stdout.write(", ".join(f"{step}: {count}" for step, count in published.items()))
        aborted = services.abort_abandoned_uploads()
        self.stdout.write(f"abandoned uploads aborted: {aborted}")
