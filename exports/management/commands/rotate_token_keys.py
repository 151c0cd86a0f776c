from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from exports import services


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored TikTok token under the first key of TOKEN_ENCRYPTION_KEYS. "
        "Put the new key first, keep the old ones after it, run this, then drop the old keys."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rewritten = services.rotate_token_encryption()
        self.stdout.write(f"Re-encrypted the tokens of {rewritten} TikTok authorization(s).")
