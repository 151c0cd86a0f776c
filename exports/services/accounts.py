"""Signing in with TikTok: what a person granted, and the tokens that carry it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from allauth.socialaccount.models import SocialLogin
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from exports import crypto
from exports.models import TikTokAccessRemoval, TikTokAuthorization
from exports.scopes import portability_scopes, scopes_for
from exports.services.notifications import verified_address
from exports.tiktok import TokenGrant

logger = logging.getLogger(__name__)


def scopes_to_request(
    user: AbstractBaseUser | None, kinds: Iterable[str], frequency: str
) -> list[str]:
    """The scopes a sign-in asks for: what the person chose now, plus the portability scopes they
    already granted, because TikTok's new token carries only what this consent grants."""
    requested = scopes_for(kinds, frequency)
    if user is not None and user.is_authenticated:
        authorization = TikTokAuthorization.objects.for_user(user).first()
        if authorization is not None:
            requested = sorted(set(requested) | set(authorization.granted_portability_scopes))
    return requested


@transaction.atomic
def record_tiktok_sign_in(user: AbstractBaseUser, sociallogin: SocialLogin) -> None:
    """Stores what the person granted at TikTok in this sign-in: the scopes, and the tokens
    encrypted, with their expiry.

    TikTok's newest grant is the one that works, so it replaces the stored one, with one
    exception: a sign-in that grants no portability scope at all (signing in again, say) keeps
    the stored grant rather than throwing away what the person allowed before.
    """
    grant: TokenGrant | None = getattr(sociallogin, "tiktok_grant", None)
    if grant is None:
        return
    requested = (sociallogin.state.get("data") or {}).get("requested_scopes") or grant.scopes
    # A grant the person gave up here and that still waits to be revoked at TikTok: revoking
    # it now could end the access they have just given again, so it is dropped instead.
    TikTokAuthorization.objects.filter(open_id=grant.open_id, user__isnull=True).delete()
    TikTokAccessRemoval.objects.filter(user=user).delete()
    authorization = TikTokAuthorization.objects.select_for_update().filter(user=user).first()
    if authorization is None:
        authorization = TikTokAuthorization(user=user)
    elif not portability_scopes(grant.scopes) and authorization.granted_portability_scopes:
        logger.info("TikTok sign-in of user %s kept the earlier grant", user.pk)
        return
    authorization.open_id = grant.open_id
    authorization.granted_scopes = list(grant.scopes)
    authorization.requested_scopes = sorted(set(requested))
    authorization.set_tokens(grant.access_token, grant.refresh_token)
    authorization.access_token_expires_at = grant.access_token_expires_at
    authorization.refresh_token_expires_at = grant.refresh_token_expires_at
    # A refresh of the older grant in flight must not overwrite this one (exports.tiktok).
    authorization.refresh_claimed_until = None
    authorization.granted_at = timezone.now()
    authorization.save()
    logger.info(
        "TikTok sign-in of user %s granted %s", user.pk, ",".join(portability_scopes(grant.scopes))
    )


def dashboard_for(user: AbstractBaseUser) -> dict[str, Any]:
    """What the dashboard shows of a person: their TikTok profile and what they allowed."""
    account = user.socialaccount_set.filter(provider="tiktok").first()
    return {
        "authorization": TikTokAuthorization.objects.for_user(user).first(),
        "access_removal": TikTokAccessRemoval.objects.filter(user=user).first(),
        "tiktok_profile": account.extra_data if account else {},
        "email_address": verified_address(user),
    }


def rotate_token_encryption() -> int:
    """Re-encrypts every stored token under the newest TOKEN_ENCRYPTION_KEYS entry.

    Returns how many authorizations were rewritten. Safe to run again at any time.
    """
    rewritten = 0
    for pk in TikTokAuthorization.objects.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            authorization = TikTokAuthorization.objects.select_for_update().get(pk=pk)
            authorization.access_token_ciphertext = crypto.reencrypt(
                authorization.access_token_ciphertext
            )
            authorization.refresh_token_ciphertext = crypto.reencrypt(
                authorization.refresh_token_ciphertext
            )
            authorization.save(
                update_fields=["access_token_ciphertext", "refresh_token_ciphertext", "updated_at"]
            )
            rewritten += 1
    return rewritten
