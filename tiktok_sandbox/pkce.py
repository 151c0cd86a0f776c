"""PKCE (RFC 7636, S256 only) as TikTok documents it and as clients actually send it.

TikTok's desktop guide says the challenge is the *hex* SHA-256 of the verifier; RFC 7636, and
clients such as arctic and allauth, send base64url without padding. Which one TikTok's web flow
checks is unknown (tiktok-api.md §1.2), so the sandbox accepts either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

S256 = "S256"
# 43-128 characters of the RFC 3986 "unreserved" set, for verifiers and challenges alike.
_UNRESERVED = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def is_well_formed(value: str) -> bool:
    """Whether ``value`` has the shape RFC 7636 requires of a verifier (and fits a challenge)."""
    return _UNRESERVED.fullmatch(value) is not None


def challenges_for(verifier: str) -> tuple[str, str]:
    """Return the two S256 challenges of ``verifier``: base64url (RFC 7636) and hex (TikTok)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii"), digest.hex()


def verifier_matches(verifier: str, challenge: str) -> bool:
    """Whether ``verifier`` hashes to ``challenge`` in either accepted encoding.

    Both must be well formed (so ASCII). Hex is compared case-insensitively, base64url is not.
    """
    as_base64url, as_hex = challenges_for(verifier)
    return hmac.compare_digest(as_base64url, challenge) or hmac.compare_digest(
        as_hex, challenge.lower()
    )
