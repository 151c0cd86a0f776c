"""TikTok's refusals in words an export's owner can act on."""

from __future__ import annotations

from django.utils.translation import gettext as _

from exports.tiktok import TikTokError


def reason_for(error: TikTokError) -> str:
    """A permanent TikTok error in words the export's owner can act on."""
    reasons = {
        "scope_not_authorized": _(
            "TikTok says this site is not allowed to export that data (the permission may "
            "have been used already). Allow it again from your dashboard."
        ),
        "access_token_invalid": _("TikTok no longer accepts this site's sign-in. Sign in again."),
        "refresh_token_invalid": _("TikTok no longer accepts this site's sign-in. Sign in again."),
        "invalid_params": _("TikTok refused the request: %(message)s"),
        "rate_limit_exceeded": _("TikTok is limiting requests. Please try again later."),
    }
    reason = reasons.get(error.code, _("TikTok refused the request: %(message)s"))
    return reason % {"message": error.message or error.code}
