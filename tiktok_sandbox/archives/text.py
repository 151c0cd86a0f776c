"""The ``text`` format: one ``.txt`` file per section, records of ``Key: value`` lines.

File names are the current English ones (tiktok-api.md §3.1), all at the top of the zip: the
folder layout of the API's text archives is not documented. Records are separated by a blank
line; an empty section holds the line ``You have no data in this section``. Keys are the JSON
keys with a capital first letter; a nested value is written as compact JSON on its line (how
TikTok spells those in text is not documented either).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tiktok_sandbox.archives.items import Item

NO_DATA = "You have no data in this section"
RECORD_SEPARATOR = "\n\n"

Path = tuple[str, ...]
_ACTIVITY = "Your Activity"
_LIKES = "Likes and Favorites"
_PROFILE = "Profile And Settings"
_RESPONSES = "ResponsesList"
_OFF_TIKTOK = "OffTikTokActivityDataList"
# Category -> (file name, path of its section in the JSON document). Direct messages have one
# file per chat, named after it (see ``files``).
FILES: dict[str, tuple[tuple[str, Path], ...]] = {
    "activity": (
        ("Activity Summary.txt", (_ACTIVITY, "Activity Summary", "ActivitySummaryMap")),
        ("Ad Interests.txt", (_ACTIVITY, "Ad Interests", "AdInterestCategories")),
        ("Comments.txt", ("Comment", "Comments", "CommentsList")),
        ("Donation.txt", (_ACTIVITY, "Donation", "DonationList")),
        ("Favorite Collections.txt", (_LIKES, "Favorite Collection", "FavoriteCollectionList")),
        ("Favorite Comments.txt", (_LIKES, "Favorite Comment", "FavoriteCommentList")),
        ("Favorite Effects.txt", (_LIKES, "Favorite Effects", "FavoriteEffectsList")),
        ("Favorite HashTags.txt", (_LIKES, "Favorite Hashtags", "FavoriteHashtagList")),
        ("Favorite Places.txt", (_LIKES, "Favorite Location", "FavoriteLocationList")),
        ("Favorite Sounds.txt", (_LIKES, "Favorite Sounds", "FavoriteSoundList")),
        ("Favorite Videos.txt", (_LIKES, "Favorite Videos", "FavoriteVideoList")),
        ("Fundraiser.txt", (_ACTIVITY, "Fundraiser", "FundraiserList")),
        ("Hashtag.txt", (_ACTIVITY, "Hashtag", "HashtagList")),
        ("Instant Form Ads Responses.txt", (_ACTIVITY, "Instant Form Ads Responses", _RESPONSES)),
        ("Like List.txt", (_LIKES, "Like List", "ItemFavoriteList")),
        ("Login History.txt", (_ACTIVITY, "Login History", "LoginHistoryList")),
        ("Off TikTok Activity.txt", (_ACTIVITY, "Off TikTok Activity", _OFF_TIKTOK)),
        ("Purchases.txt", (_ACTIVITY, "Purchases", "SendGifts", "SendGifts")),
        ("Reposts.txt", (_ACTIVITY, "Reposts", "RepostList")),
        ("Searches.txt", (_ACTIVITY, "Searches", "SearchList")),
        ("Share History.txt", (_ACTIVITY, "Share History", "ShareHistoryList")),
        ("Status.txt", (_ACTIVITY, "Status", "Status List")),
        ("Stickers.txt", (_ACTIVITY, "Stickers", "StickerList")),
        ("Watch History.txt", (_ACTIVITY, "Watch History", "VideoList")),
    ),
    "video": (
        ("Posts.txt", ("Post", "Posts", "VideoList")),
        ("Recently Deleted Posts.txt", ("Post", "Recently Deleted Posts", "PostList")),
    ),
    "profile": (
        ("Follower.txt", (_PROFILE, "Follower", "FansList")),
        ("Following.txt", (_PROFILE, "Following", "Following")),
        ("Profile Info.txt", (_PROFILE, "Profile Info", "ProfileMap")),
        ("Settings.txt", (_PROFILE, "Settings", "SettingsMap")),
    ),
}  # fmt: skip
CHATS: Path = ("Direct Message", "Direct Messages", "ChatHistory")


def files(document: dict[str, Any]) -> list[tuple[str, Path]]:
    """The text files of ``document``'s sections, sorted by name: (name, path of section)."""
    found = [
        (name, path) for listed in FILES.values() for name, path in listed if path[0] in document
    ]
    if CHATS[0] in document:
        for chat in value_at(document, CHATS):
            found.append((f"{chat.rstrip(':')}.txt", (*CHATS, chat)))
    return sorted(found)


def render_section(value: Any) -> tuple[str, str]:
    """A section's text as (records, end): a list becomes one record per item, a map one record,
    anything empty the no-data line. The filler goes between the two parts."""
    if isinstance(value, list) and value:
        return RECORD_SEPARATOR.join(record(item) for item in value), "\n"
    if isinstance(value, dict) and value:
        return record(value), "\n"
    return NO_DATA, "\n"


def record(item: Item) -> str:
    """One record: a ``Key: value`` line per field."""
    return "\n".join(f"{key[:1].upper()}{key[1:]}: {_value(value)}" for key, value in item.items())


def renderer() -> Callable[[Item], str]:
    """How the filler renders an item of a text section: a record after a blank line."""
    return lambda item: RECORD_SEPARATOR + record(item)


def value_at(document: dict[str, Any], path: Path) -> Any:
    value: Any = document
    for key in path:
        value = value[key]
    return value


def _value(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
