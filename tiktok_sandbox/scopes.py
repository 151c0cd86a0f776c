"""The scopes the sandbox knows, what they let an app read, and how scope lists are spelled."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

BASIC = "user.info.basic"

# Scope -> the sentence shown on the consent page, in TikTok's "what the app can do" voice, in the
# person's language as TikTok's own consent page is.
DESCRIPTIONS: dict[str, Promise] = {
    BASIC: _("Read your profile info (avatar, display name)"),
    "user.info.profile": _(
        "Read your profile details (username, bio, verified status, profile link)"
    ),
    "user.info.stats": _("Read your stats (followers, following, likes and video counts)"),
    "video.list": _("Read your public videos"),
    "portability.all.single": _("Get a one-time copy of all your TikTok data"),
    "portability.all.ongoing": _("Get copies of all your TikTok data, now and later"),
    "portability.activity.single": _("Get a one-time copy of your activity"),
    "portability.activity.ongoing": _("Get copies of your activity, now and later"),
    "portability.directmessages.single": _("Get a one-time copy of your direct messages"),
    "portability.directmessages.ongoing": _("Get copies of your direct messages, now and later"),
    "portability.postsandprofile.single": _("Get a one-time copy of your posts and profile"),
    "portability.postsandprofile.ongoing": _("Get copies of your posts and profile, now and later"),
}
KNOWN: frozenset[str] = frozenset(DESCRIPTIONS)

# User info field -> the scope that must have been granted to read it (tiktok-api.md §1.8).
USER_INFO_FIELDS: dict[str, str] = {
    "open_id": BASIC,
    "union_id": BASIC,
    "avatar_url": BASIC,
    "avatar_url_100": BASIC,
    "avatar_large_url": BASIC,
    "display_name": BASIC,
    "bio_description": "user.info.profile",
    "profile_deep_link": "user.info.profile",
    "is_verified": "user.info.profile",
    "username": "user.info.profile",
    "follower_count": "user.info.stats",
    "following_count": "user.info.stats",
    "likes_count": "user.info.stats",
    "video_count": "user.info.stats",
}


def split_list(value: str) -> list[str]:
    """Split a comma-separated list, dropping blanks and duplicates but keeping the order.

    TikTok spells scope and field lists with commas; spaces around the items are tolerated.
    """
    items = (item.strip() for item in value.split(","))
    return list(dict.fromkeys(item for item in items if item))


def join_list(items: list[str] | tuple[str, ...]) -> str:
    """Spell a scope list the way TikTok returns it: comma-separated, no spaces."""
    return ",".join(items)


def unknown(scopes: list[str] | tuple[str, ...]) -> list[str]:
    """Return the scopes of ``scopes`` that the sandbox does not know."""
    return [scope for scope in scopes if scope not in KNOWN]
