"""What the reader knows of TikTok's exports: every data set, where each generation of the JSON
layout keeps it, what its text files are called in each language, and what its fields are
called (shared/tiktok-archive-layouts.md, tiktok-api.md §3).

Everything is matched without regard to case, spaces or Google Drive's `'` → `_` renaming
(`spelling`), so `Like List`/`like list` and `Favoriete video's`/`Favoriete video_s` are one name.
A section the catalog does not know is never dropped: the reader counts it as unrecognized.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

Path = tuple[str, ...]


class Shape(StrEnum):
    """How a data set's records sit in its JSON section."""

    LIST = "list"  # a list of records
    RECORD = "record"  # one map that is one record (the profile, the settings)
    LISTS_BY_KEY = "lists_by_key"  # a map of lists, its keys naming the group (DM conversations)
    RECORDS_BY_KEY = "records_by_key"  # a map of records keyed by an id (LIVE watched)


@dataclass(frozen=True)
class Dataset:
    """One data set: its name in the site's vocabulary, where it is in each layout, and the
    fields a record of it has (each with the keys TikTok has used for it)."""

    name: str
    json_paths: tuple[Path, ...]
    text_names: dict[str, tuple[str, ...]]
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    shape: Shape = Shape.LIST
    # The field the map key goes into, for the keyed shapes.
    key_field: str = ""


def spelling(name: str) -> str:
    """The form names are compared in: case, spaces, underscores, hyphens and apostrophes
    ignored. Spelled out as replace() calls, the quickest way in CPython: every short value of
    an export is spelled to see whether it is a placeholder."""
    return (
        name.casefold()
        .replace(" ", "")
        .replace("_", "")
        .replace("'", "")
        .replace("-", "")
        .replace("\N{RIGHT SINGLE QUOTATION MARK}", "")
    )


# The keys a record's date has had, in any data set and language. The first one present wins.
DATE_KEYS = ("date", "datum", "creation time", "createtime", "watchtime", "timestamp", "time")
LINK_KEYS = ("link", "url", "videolink", "video link", "originalposturl", "original post link")

# The fields a person searches their data by: what they searched, wrote and were sent, links,
# user names and titles.
SEARCHED_FIELDS = (
    "term",
    "text",
    "sender",
    "conversation",
    "username",
    "name",
    "title",
    "content",
    "link",
)


def search_text_of(fields: dict[str, object]) -> str:
    """A record's searched fields in one lower-cased string (how the site's search finds it)."""
    return " ".join(str(fields[name]) for name in SEARCHED_FIELDS if fields.get(name)).lower()


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "watch_history",
        (
            ("Activity", "Video Browsing History", "VideoList"),
            ("Your Activity", "Watch History", "VideoList"),
            ("Your Activity", "Video Browsing History", "VideoList"),
        ),
        {
            "en": ("Watch History", "Browsing History", "Video Browsing History"),
            "nl": ("Kijkgeschiedenis",),
        },
        {"link": LINK_KEYS, "title": ("title",)},
    ),
    Dataset(
        "likes",
        (
            ("Activity", "Like List", "ItemFavoriteList"),
            ("Your Activity", "Like List", "ItemFavoriteList"),
            ("Likes and Favorites", "Like List", "ItemFavoriteList"),
        ),
        {"en": ("Like List",), "nl": ("Likelijst",)},
        {"link": LINK_KEYS},
    ),
    Dataset(
        "favorite_videos",
        (
            ("Activity", "Favorite Videos", "FavoriteVideoList"),
            ("Your Activity", "Favorite Videos", "FavoriteVideoList"),
            ("Likes and Favorites", "Favorite Videos", "FavoriteVideoList"),
        ),
        {"en": ("Favorite Videos", "Favourite Videos"), "nl": ("Favoriete video's",)},
        {"link": LINK_KEYS},
    ),
    Dataset(
        "favorite_sounds",
        (
            ("Activity", "Favorite Sounds", "FavoriteSoundList"),
            ("Your Activity", "Favorite Sounds", "FavoriteSoundList"),
            ("Likes and Favorites", "Favorite Sounds", "FavoriteSoundList"),
        ),
        {"en": ("Favorite Sounds", "Favourite Sounds")},
        {"link": LINK_KEYS},
    ),
    Dataset(
        "favorite_effects",
        (
            ("Activity", "Favorite Effects", "FavoriteEffectsList"),
            ("Your Activity", "Favorite Effects", "FavoriteEffectsList"),
            ("Likes and Favorites", "Favorite Effects", "FavoriteEffectsList"),
        ),
        {"en": ("Favorite Effects", "Favourite Effects")},
        {"link": ("effectlink", "effect link", *LINK_KEYS)},
    ),
    Dataset(
        "favorite_hashtags",
        (
            ("Activity", "Favorite Hashtags", "FavoriteHashtagList"),
            ("Your Activity", "Favorite Hashtags", "FavoriteHashtagList"),
            ("Likes and Favorites", "Favorite Hashtags", "FavoriteHashtagList"),
        ),
        {"en": ("Favorite HashTags", "Favorite Hashtags", "Favourite Hashtags")},
        {"link": LINK_KEYS, "name": ("hashtag", "name", "hashtagname")},
    ),
    Dataset(
        "favorite_collections",
        (("Likes and Favorites", "Favorite Collection", "FavoriteCollectionList"),),
        {"en": ("Favorite Collections", "Favourite Collections")},
        {"name": ("favoritecollection", "collection", "name")},
    ),
    Dataset(
        "followers",
        (
            ("Activity", "Follower List", "FansList"),
            ("Your Activity", "Follower", "FansList"),
            ("Your Activity", "Follower List", "FansList"),
            ("Profile And Settings", "Follower", "FansList"),
        ),
        {"en": ("Follower", "Followers", "Follower List"), "nl": ("Volger", "Volgers")},
        {"username": ("username", "user name")},
    ),
    Dataset(
        "following",
        (
            ("Activity", "Following List", "Following"),
            ("Your Activity", "Following", "Following"),
            ("Your Activity", "Following List", "Following"),
            ("Profile And Settings", "Following", "Following"),
        ),
        {"en": ("Following", "Following List"), "nl": ("Volgend",)},
        {"username": ("username", "user name")},
    ),
    Dataset(
        "blocked",
        (
            ("App Settings", "Block", "BlockList"),
            ("App Settings", "Block List", "BlockList"),
            ("Profile And Settings", "Block List", "BlockList"),
        ),
        {"en": ("Block List", "Blocked")},
        {"username": ("username", "user name")},
    ),
    Dataset(
        "searches",
        (
            ("Activity", "Search History", "SearchList"),
            ("Your Activity", "Searches", "SearchList"),
            ("Your Activity", "Search History", "SearchList"),
        ),
        {"en": ("Searches", "Search History")},
        {"term": ("searchterm", "search term", "term")},
    ),
    Dataset(
        "shares",
        (
            ("Activity", "Share History", "ShareHistoryList"),
            ("Your Activity", "Share History", "ShareHistoryList"),
        ),
        {"en": ("Share History",)},
        {
            "content": ("sharedcontent", "shared content"),
            "link": LINK_KEYS,
            "method": ("method",),
        },
    ),
    Dataset(
        "reposts",
        (("Your Activity", "Reposts", "RepostList"), ("Activity", "Reposts", "RepostList")),
        {"en": ("Reposts",)},
        {"link": LINK_KEYS},
    ),
    Dataset(
        "logins",
        (
            ("Activity", "Login History", "LoginHistoryList"),
            ("Your Activity", "Login History", "LoginHistoryList"),
        ),
        {"en": ("Login History",)},
        {
            "ip": ("ip", "ip address"),
            "device_model": ("devicemodel", "device model"),
            "device_system": ("devicesystem", "device system"),
            "network_type": ("networktype", "network type"),
            "carrier": ("carrier",),
        },
    ),
    Dataset(
        "device_status",
        (("Activity", "Status", "Status List"), ("Your Activity", "Status", "Status List")),
        {"en": ("Status",)},
        {"resolution": ("resolution",), "app_version": ("app version", "appversion")},
    ),
    Dataset(
        "comments",
        (
            ("Comment", "Comments", "CommentsList"),
            ("Activity", "Comments", "CommentsList"),
        ),
        {"en": ("Comments",), "nl": ("Reacties",)},
        {"text": ("comment", "comments", "text"), "link": LINK_KEYS},
    ),
    Dataset(
        "direct_messages",
        (
            ("Direct Messages", "Chat History", "ChatHistory"),
            ("Direct Message", "Direct Messages", "ChatHistory"),
        ),
        {"en": ("Direct Messages", "Chat History")},
        {"sender": ("from", "sender"), "text": ("content", "message", "text")},
        Shape.LISTS_BY_KEY,
        key_field="conversation",
    ),
    Dataset(
        "posts",
        (("Video", "Videos", "VideoList"), ("Post", "Posts", "VideoList")),
        {"en": ("Posts", "Post", "Videos")},
        {
            "link": LINK_KEYS,
            "title": ("title",),
            "likes": ("likes",),
            "who_can_view": ("whocanview", "who can view"),
            "sound": ("sound",),
            "location": ("location",),
        },
    ),
    Dataset(
        "live_watched",
        (
            ("Tiktok Live", "Watch Live History", "WatchLiveMap"),
            ("TikTok Live", "Watch Live History", "WatchLiveMap"),
        ),
        {"en": ("Watch Live History",)},
        {"link": LINK_KEYS},
        Shape.RECORDS_BY_KEY,
        key_field="live_id",
    ),
    Dataset(
        "profile",
        (
            ("Profile", "Profile Information", "ProfileMap"),
            ("Profile", "Profile Info", "ProfileMap"),
            ("Profile And Settings", "Profile Info", "ProfileMap"),
        ),
        {"en": ("Profile Info", "Profile Information"), "nl": ("Profielinformatie",)},
        {
            "username": ("username", "user name"),
            "display_name": ("displayname", "display name"),
            "bio": ("biodescription", "bio description", "bio"),
            "birth_date": ("birthdate", "birth date"),
            "email": ("emailaddress", "email address", "email"),
            "phone": ("telephonenumber", "telephone number", "phone number"),
            "region": ("accountregion", "account region"),
            "likes_received": ("likesreceived", "likes received"),
        },
        Shape.RECORD,
    ),
    Dataset(
        "settings",
        (
            ("App Settings", "Settings", "SettingsMap"),
            ("Profile And Settings", "Settings", "SettingsMap"),
            ("Tiktok Live", "Go Live Settings", "SettingsMap"),
            ("TikTok Live", "Go Live Settings", "SettingsMap"),
            ("Tiktok Live", "Watch Live Settings", "WatchLiveSettingsMap"),
            ("TikTok Live", "Watch Live Settings", "WatchLiveSettingsMap"),
        ),
        {"en": ("Settings",)},
        shape=Shape.RECORD,
    ),
    Dataset(
        "activity_summary",
        (("Your Activity", "Activity Summary", "ActivitySummaryMap"),),
        {"en": ("Activity Summary",)},
        shape=Shape.RECORD,
    ),
    Dataset(
        "off_tiktok_activity",
        (
            ("Ads and data", "Off TikTok Activity", "OffTikTokActivityDataList"),
            ("Your Activity", "Off TikTok Activity", "OffTikTokActivityDataList"),
            ("Profile And Settings", "Off TikTok Activity", "OffTikTokActivityDataList"),
        ),
        {"en": ("Off TikTok Activity",)},
        {"source": ("source",), "event": ("event",)},
    ),
    Dataset(
        "ad_interests",
        (
            ("Ads and data", "Ad Interests", "AdInterestCategories"),
            ("Your Activity", "Ad Interests", "AdInterestCategories"),
        ),
        {"en": ("Ad Interests",)},
        {"categories": ("adinterestcategories", "categories", "value")},
        Shape.RECORD,
    ),
)

DATASET_NAMES: tuple[str, ...] = tuple(dataset.name for dataset in DATASETS)
BY_NAME: dict[str, Dataset] = {dataset.name: dataset for dataset in DATASETS}

# Spelled path -> data set, for every JSON path of every data set.
JSON_ROUTES: dict[tuple[str, ...], Dataset] = {
    tuple(spelling(part) for part in path): dataset
    for dataset in DATASETS
    for path in dataset.json_paths
}
# Spelled (top-level key, section) -> data set: the map a data set's list sits in, where
# TikTok also writes null for an empty section and `App`/`IsFastLane` beside the list.
JSON_SECTIONS: dict[tuple[str, ...], Dataset] = {route[:2]: ds for route, ds in JSON_ROUTES.items()}
# Spelled file name (without .txt) -> (data set, language), for every text name.
TEXT_ROUTES: dict[str, tuple[Dataset, str]] = {
    spelling(name): (dataset, language)
    for dataset in DATASETS
    for language, names in dataset.text_names.items()
    for name in names
}
# Text files named for one conversation: "Chat History with <username>.txt".
CHAT_FILE_PREFIX = spelling("Chat History with")
TEXT_LANGUAGES = ("en", "nl")

# The top-level keys that tell the JSON generations apart (tiktok-api.md §3.2).
GENERATION_MARKERS: dict[str, frozenset[str]] = {
    "C": frozenset(spelling(key) for key in ("Likes and Favorites", "Profile And Settings")),
    "B": frozenset(spelling(key) for key in ("Your Activity",)),
    "A": frozenset(spelling(key) for key in ("Activity", "Video", "Tiktok Shopping")),
}
# Folders that tell the text layouts apart: the December 2024 tree and the 2026 one.
TEXT_GENERATION_MARKERS: dict[str, frozenset[str]] = {
    "C": frozenset(
        spelling(folder)
        for folder in (
            "Your Activity",
            "Likes and Favourites",
            "Profile and Settings",
            "Je activiteit",
        )
    ),
    "B": frozenset(spelling(folder) for folder in ("Activity", "Profile")),
}

# Values that mean "nothing here", in any language an export has been seen in.
# The placeholders as TikTok writes them, and as spelled: any case, spaces, … ("n/a", "NONE").
EMPTY_AS_WRITTEN = frozenset(("", "N/A", "n.v.t.", "None", "null", "NA", "-"))
EMPTY_VALUES = frozenset(spelling(value) for value in EMPTY_AS_WRITTEN)
