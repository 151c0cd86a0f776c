"""The three generations of the JSON layout (tiktok-api.md §3.2, tiktok-archive-layouts.md).

A generation says which top-level keys it has (``sections``, in TikTok's order), which of them
each requested category brings, where each data set goes (``paths``), and how its items are
spelled when not as in Gen C (``shapes``). The data sets themselves are the same in every
generation, so a reader of any layout must find the same watch history.

- Gen A (until late 2024): ``Activity``, ``Comment``, ``Direct Messages``, ``Profile``,
  ``Video``, ``Ads and data``, ``App Settings``, ``Tiktok Live``, ``Tiktok Shopping``;
  ``Date``/``Link`` in the like list, ``Date``/``Comment`` in comments.
- Gen B (from December 2024): ``Your Activity`` (followers and following too), ``Post``,
  ``Direct Message``, ``Profile`` (with ``Profile Info``), ``App Settings``, ``Ads and data``,
  ``Tiktok Live``; lowercase ``date``/``link`` in the like list.
- Gen C (2026): ``Your Activity``, ``Likes and Favorites``, ``Profile And Settings``,
  ``TikTok Live`` and six more, exactly ten.

The unknown section (``Mystery Feature``) goes into the activity section of any generation,
when asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tiktok_sandbox.archives import account, activity
from tiktok_sandbox.archives import skeletons as sk
from tiktok_sandbox.archives.items import Context, Item

ALL_DATA = "all_data"
MYSTERY = "mystery"
Path = tuple[str, ...]
Shape = Callable[[Item], Item]

# Data set -> its builder. Lists are shaped item by item, maps (profile, settings) as a whole;
# chats and LIVEs never change.
DATA_SETS: dict[str, Callable[[Context], Any]] = {
    "watch": activity.watch,
    "likes": activity.likes,
    "favorites": activity.favorites,
    "sounds": activity.sounds,
    "effects": activity.effects,
    "collections": activity.collections,
    "searches": activity.searches,
    "shares": activity.shares,
    "reposts": activity.reposts,
    "logins": activity.logins,
    "statuses": activity.statuses,
    "comments": activity.comments,
    "summary": activity.summary,
    MYSTERY: activity.mystery,
    "posts": account.posts,
    "followers": account.followers,
    "following": account.following,
    "profile": account.profile,
    "settings": account.settings,
    "chats": account.chats,
    "lives": account.lives,
}


@dataclass(frozen=True)
class Generation:
    """One generation of the JSON layout; see the module docstring."""

    name: str
    sections: Mapping[str, Callable[[], dict[str, Any]]]
    categories: Mapping[str, tuple[str, ...]]
    paths: Mapping[str, Path]
    shapes: Mapping[str, Shape] = field(default_factory=dict)

    def document(
        self, ctx: Context, categories: frozenset[str], *, unknown_section: bool
    ) -> dict[str, Any]:
        """The document of ``categories`` (``all_data``: every top-level key), in TikTok's
        order, with the unknown section if ``unknown_section`` and its section is there."""
        wanted = set(self.sections)
        if ALL_DATA not in categories:
            wanted = {key for category in categories for key in self.categories[category]}
        document = {key: build() for key, build in self.sections.items() if key in wanted}
        for name, path in self.paths.items():
            if path[0] in document and (name != MYSTERY or unknown_section):
                _place(document, path, self._shaped(name, DATA_SETS[name](ctx)))
        return document

    def locate(self, document: dict[str, Any], data_set: str) -> Path | None:
        """Where ``data_set`` is in ``document``, or None if the document does not hold it."""
        path = self.paths.get(data_set)
        if path is None or path[0] not in document or path[1] not in document[path[0]]:
            return None
        return path

    def shape(self, data_set: str) -> Shape:
        """How an item of ``data_set`` is spelled in this generation."""
        return self.shapes.get(data_set, _same)

    def _shaped(self, data_set: str, value: Any) -> Any:
        shape = self.shapes.get(data_set)
        if shape is None:
            return value
        return [shape(item) for item in value] if isinstance(value, list) else shape(value)


def value_at(document: dict[str, Any], path: Path) -> Any:
    value: Any = document
    for key in path:
        value = value[key]
    return value


def _place(document: dict[str, Any], path: Path, value: Any) -> None:
    *outer, section, leaf = path
    parent = value_at(document, tuple(outer))
    if section not in parent:  # the unknown section: no skeleton has it
        parent[section] = {}
        ordered = sorted(parent.items())  # TikTok's sections are in alphabetical order
        parent.clear()
        parent.update(ordered)
    parent[section][leaf] = value


def _same(item: Item) -> Item:
    return item


def _without(*keys: str) -> Shape:
    return lambda item: {key: value for key, value in item.items() if key not in keys}


def _only(*keys: str) -> Shape:
    return lambda item: {key: value for key, value in item.items() if key in keys}


def _capitalised(item: Item) -> Item:
    return {key[:1].upper() + key[1:]: value for key, value in item.items()}


def _older_comment(item: Item) -> Item:
    return {"Date": item["date"].removesuffix(" UTC"), "Comment": item["comment"]}


# The ProfileMap before Gen C added the display name, region, counts and links.
OLDER_PROFILE_KEYS = (
    "PlatformInfo", "bioDescription", "birthDate", "emailAddress", "likesReceived",
    "profilePhoto", "profileVideo", "telephoneNumber", "userName",
)  # fmt: skip
# Gen A and B spell these as Gen C did not yet: no watch titles, no UID/DID of devices, a
# shorter profile, no malformed settings key, and comments as {Date, Comment}.
OLDER_SHAPES: dict[str, Shape] = {
    "watch": _without("Title"),
    "statuses": _without("UID", "DID"),
    "comments": _older_comment,
    "profile": _only(*OLDER_PROFILE_KEYS),
    "settings": _without("Who can see your following list::"),
}

_YA, _LF, _PS = "Your Activity", "Likes and Favorites", "Profile And Settings"
GEN_C = Generation(
    name="gen_c",
    sections={
        "Comment": sk.c_comment,
        "Direct Message": sk.c_direct_message,
        "Income+ Wallet": sk.c_income_wallet,
        _LF: sk.c_likes_and_favorites,
        "Location Review": sk.location_review,
        "Post": sk.c_post,
        _PS: sk.c_profile_and_settings,
        "TikTok Live": sk.live,
        "TikTok Shop": account.shop,
        _YA: sk.c_your_activity,
    },
    categories={
        "activity": ("Comment", _LF, _YA),
        "video": ("Post",),
        "profile": (_PS,),
        "direct_message": ("Direct Message",),
    },
    paths={
        "watch": (_YA, "Watch History", "VideoList"),
        "searches": (_YA, "Searches", "SearchList"),
        "shares": (_YA, "Share History", "ShareHistoryList"),
        "logins": (_YA, "Login History", "LoginHistoryList"),
        "reposts": (_YA, "Reposts", "RepostList"),
        "statuses": (_YA, "Status", "Status List"),
        "summary": (_YA, "Activity Summary", "ActivitySummaryMap"),
        MYSTERY: (_YA, "Mystery Feature", "MysteryList"),
        "likes": (_LF, "Like List", "ItemFavoriteList"),
        "favorites": (_LF, "Favorite Videos", "FavoriteVideoList"),
        "sounds": (_LF, "Favorite Sounds", "FavoriteSoundList"),
        "effects": (_LF, "Favorite Effects", "FavoriteEffectsList"),
        "collections": (_LF, "Favorite Collection", "FavoriteCollectionList"),
        "comments": ("Comment", "Comments", "CommentsList"),
        "followers": (_PS, "Follower", "FansList"),
        "following": (_PS, "Following", "Following"),
        "profile": (_PS, "Profile Info", "ProfileMap"),
        "settings": (_PS, "Settings", "SettingsMap"),
        "posts": ("Post", "Posts", "VideoList"),
        "chats": ("Direct Message", "Direct Messages", "ChatHistory"),
        "lives": ("TikTok Live", "Watch Live History", "WatchLiveMap"),
    },
)
GEN_B = Generation(
    name="gen_b",
    sections={
        "Ads and data": sk.ads_and_data,
        "App Settings": sk.b_app_settings,
        "Comment": sk.c_comment,
        "Direct Message": sk.b_direct_message,
        "Income Plus Wallet Transactions": sk.b_income_wallet,
        "Location Review": sk.location_review,
        "Post": sk.b_post,
        "Profile": sk.b_profile,
        "TikTok Shop": account.shop,
        "Tiktok Live": sk.live,
        _YA: sk.b_your_activity,
    },
    categories={
        "activity": ("Ads and data", "Comment", _YA),
        "video": ("Post",),
        "profile": ("App Settings", "Profile"),
        "direct_message": ("Direct Message",),
    },
    paths={
        "watch": (_YA, "Watch History", "VideoList"),
        "searches": (_YA, "Searches", "SearchList"),
        "shares": (_YA, "Share History", "ShareHistoryList"),
        "logins": (_YA, "Login History", "LoginHistoryList"),
        "statuses": (_YA, "Status", "Status List"),
        MYSTERY: (_YA, "Mystery Feature", "MysteryList"),
        "likes": (_YA, "Like List", "ItemFavoriteList"),
        "favorites": (_YA, "Favorite Videos", "FavoriteVideoList"),
        "sounds": (_YA, "Favorite Sounds", "FavoriteSoundList"),
        "effects": (_YA, "Favorite Effects", "FavoriteEffectsList"),
        "followers": (_YA, "Follower", "FansList"),
        "following": (_YA, "Following", "Following"),
        "comments": ("Comment", "Comments", "CommentsList"),
        "profile": ("Profile", "Profile Info", "ProfileMap"),
        "settings": ("App Settings", "Settings", "SettingsMap"),
        "posts": ("Post", "Posts", "VideoList"),
        "chats": ("Direct Message", "Direct Messages", "ChatHistory"),
        "lives": ("Tiktok Live", "Watch Live History", "WatchLiveMap"),
    },
    shapes=OLDER_SHAPES,
)
GEN_A = Generation(
    name="gen_a",
    sections={
        "Activity": sk.a_activity,
        "Ads and data": sk.a_ads_and_data,
        "App Settings": sk.a_app_settings,
        "Comment": sk.a_comment,
        "Direct Messages": sk.a_direct_messages,
        "Profile": sk.a_profile,
        "Tiktok Live": sk.live,
        "Tiktok Shopping": account.shop,
        "Video": sk.a_video,
    },
    categories={
        "activity": ("Activity", "Ads and data", "Comment"),
        "video": ("Video",),
        "profile": ("App Settings", "Profile"),
        "direct_message": ("Direct Messages",),
    },
    paths={
        "watch": ("Activity", "Video Browsing History", "VideoList"),
        "searches": ("Activity", "Search History", "SearchList"),
        "shares": ("Activity", "Share History", "ShareHistoryList"),
        "logins": ("Activity", "Login History", "LoginHistoryList"),
        "statuses": ("Activity", "Status", "Status List"),
        MYSTERY: ("Activity", "Mystery Feature", "MysteryList"),
        "likes": ("Activity", "Like List", "ItemFavoriteList"),
        "favorites": ("Activity", "Favorite Videos", "FavoriteVideoList"),
        "sounds": ("Activity", "Favorite Sounds", "FavoriteSoundList"),
        "effects": ("Activity", "Favorite Effects", "FavoriteEffectsList"),
        "followers": ("Activity", "Follower List", "FansList"),
        "following": ("Activity", "Following List", "Following"),
        "comments": ("Comment", "Comments", "CommentsList"),
        "profile": ("Profile", "Profile Information", "ProfileMap"),
        "settings": ("App Settings", "Settings", "SettingsMap"),
        "posts": ("Video", "Videos", "VideoList"),
        "chats": ("Direct Messages", "Chat History", "ChatHistory"),
        "lives": ("Tiktok Live", "Watch Live History", "WatchLiveMap"),
    },
    shapes={**OLDER_SHAPES, "likes": _capitalised},
)
GENERATIONS: dict[str, Generation] = {gen.name: gen for gen in (GEN_A, GEN_B, GEN_C)}
