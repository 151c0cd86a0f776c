"""Signal receivers: each hands over to a service and does nothing else."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import user_logged_in
from django.dispatch import receiver

from exports import services
from exports.announcements import announce_started_exports


@receiver(user_logged_in, dispatch_uid="exports.record_tiktok_sign_in")
def record_tiktok_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Stores what TikTok granted, then starts the exports the person chose before TikTok's
    consent page, so that choice is the only one they make."""
    sociallogin = kwargs.get("sociallogin")
    if sociallogin is None:
        return
    services.record_tiktok_sign_in(user, sociallogin)
    outcome = services.start_exports_chosen_at_sign_in(user, sociallogin.state.get("data") or {})
    if outcome is not None:
        announce_started_exports(request, outcome)
