"""Why an export failed, in words its owner can act on.

An export keeps only the code of its failure (ExportRequest.failure_code); the words are chosen
when a page or an email shows it, so they are always in the reader's language, and TikTok's own
English description never reaches a page.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

NOT_ELIGIBLE = "not_eligible"
SIGN_IN_AGAIN = _("TikTok no longer accepts this site's sign-in. Sign in again, then ask again.")

FAILURE_MESSAGES: dict[str, Promise] = {
    NOT_ELIGIBLE: _(
        "TikTok offers data exports through other sites only to people in the EEA and the UK, "
        "and said your account is not one of them."
    ),
    "scope_not_authorized": _(
        "TikTok says this site is not allowed to export that data (the permission may have "
        "been used already). Allow it again from your dashboard."
    ),
    "access_token_invalid": SIGN_IN_AGAIN,
    "refresh_token_invalid": SIGN_IN_AGAIN,
    "invalid_grant": SIGN_IN_AGAIN,
    "invalid_params": _("TikTok refused the request as it was made. Please ask again."),
    "rate_limit_exceeded": _("TikTok is limiting requests. Please ask again later."),
    "unexpected_status": _("TikTok answered in a way this site does not understand yet."),
    "invalid_response": _("TikTok answered in a way this site does not understand yet."),
    "add_unconfirmed": _("TikTok never confirmed the request. Please ask again."),
    "submit_attempts": _("TikTok could not be reached for a long time. Please ask again."),
    "not_prepared": _("TikTok did not prepare the export within a week. Please ask again."),
    "fetch_attempts": _("The archive could not be copied from TikTok. Please ask again."),
    "fetch_failed": _("The archive could not be copied from TikTok intact. Please ask again."),
}
GENERIC_FAILURE = _("TikTok could not complete the export. Please ask again.")


def failure_message(code: str) -> str:
    """What the owner of an export that failed with `code` reads, in the active language."""
    return str(FAILURE_MESSAGES.get(code, GENERIC_FAILURE))
