from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from exports import services


class Command(BaseCommand):
    help = "Publish everything that is due: what beat runs every EXPORT_SWEEP_INTERVAL."

    def handle(self, *args: Any, **options: Any) -> None:
        done = services.sweep()
        self.stdout.write(", ".join(f"{what}: {count}" for what, count in done.items()))
