"""Signal receivers: each hands over to a service and does nothing else."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import user_logged_in
from django.dispatch import receiver

from exports import services


@receiver(user_logged_in, dispatch_uid="exports.record_tiktok_sign_in")
def record_tiktok_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    sociallogin = kwargs.get("sociallogin")
    if sociallogin is not None:
        services.record_tiktok_sign_in(user, sociallogin)
