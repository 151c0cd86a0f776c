"""The two families of failure a call to TikTok ends in, and the webhook signature failure."""

from __future__ import annotations

import re
from typing import Any


class TikTokError(Exception):
    """A call to TikTok failed. `code` is TikTok's error code (or ours for transport failures),
    `message` TikTok's description, `log_id` TikTok's reference for support requests."""

    def __init__(
        self, code: str, message: str = "", *, log_id: str = "", http_status: int | None = None
    ) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.log_id = log_id
        self.http_status = http_status


class TransientTikTokError(TikTokError):
    """Worth retrying later: TikTok is down, overloaded, rate limiting, or the network failed.

    `may_have_taken_effect` is False only when TikTok certainly did not act on the request (the
    connection was never made, or TikTok refused it for its rate limit): a call that is not
    idempotent, like Add Data Request on a once-only scope, may be repeated only then.
    """

    def __init__(
        self,
        *args: Any,
        retry_after: float | None = None,
        may_have_taken_effect: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after
        self.may_have_taken_effect = may_have_taken_effect


class PermanentTikTokError(TikTokError):
    """Retrying the same call will not help: the token, the scopes or the request must change."""


class AccessTokenInvalidError(PermanentTikTokError):
    """The access token is missing, expired or revoked (`access_token_invalid`)."""


class NotEligibleError(PermanentTikTokError):
    """TikTok serves data portability only to people in the EEA and the UK, and refused this one.

    TikTok does not document the error a person outside them gets (tiktok-api.md §2.1): it is
    recognised by a refusal of Add Data Request whose message speaks of where the person is."""


# What a refusal for where a person lives says: "only available to users in the EEA", "not
# supported in your region", "country"... Matched on TikTok's description, case-insensitively.
_ELIGIBILITY_WORDS = re.compile(r"\b(eea|uk|region|regions|country|countries|territory)\b", re.I)


def eligibility_refusal(error: PermanentTikTokError) -> PermanentTikTokError:
    """`error` as NotEligibleError when it is TikTok refusing the person for where they live."""
    if error.code in {"invalid_params", "scope_not_authorized", "access_denied"} and (
        _ELIGIBILITY_WORDS.search(error.message or "")
    ):
        return NotEligibleError(
            error.code, error.message, log_id=error.log_id, http_status=error.http_status
        )
    return error


class InvalidSignatureError(Exception):
    """A webhook's TikTok-Signature is missing, malformed, wrong or too old."""
