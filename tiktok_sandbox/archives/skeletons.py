"""The fixed part of each generation's top-level sections: every sub-section TikTok writes, empty
ones included, with a ``SLOT`` where a data set goes (``generations`` fills them).

Gen B follows a real export of December 2024 (tiktok-api.md §3.5), Gen C the 2026 schema of
§3.2, Gen A the older names of both tables. Sections are in TikTok's alphabetical order. Each
function returns a fresh dict: filling it in must not change the next archive's.
"""

from __future__ import annotations

from typing import Any

from tiktok_sandbox.archives.account import autofill, go_live_settings, watch_live_settings
from tiktok_sandbox.archives.items import APP

Section = dict[str, Any]


class _Slot:
    """Where a data set goes; one left unfilled makes the document fail to serialise."""

    def __repr__(self) -> str:
        return "SLOT"


SLOT: Any = _Slot()


def _list(key: str, value: Any = None, **siblings: Any) -> Section:
    return {**siblings, key: value}


# Gen C (2026) ------------------------------------------------------------------------------------


def c_comment() -> Section:
    return {"Comments": _list("CommentsList", SLOT, App=APP)}


def c_direct_message() -> Section:
    return {
        "Direct Messages": {"ChatHistory": SLOT},
        "Group Chat": {"GroupChat": {}},
        "Tako Chat History": _list("TakoChatHistoryList"),
    }


def c_income_wallet() -> Section:
    return {
        "Coin Purchase History": _list("CoinPurchaseHistoryList"),
        "Transaction History": _list("TransactionsList"),
    }


def c_likes_and_favorites() -> Section:
    return {
        "Collection": {},
        "Favorite Collection": _list("FavoriteCollectionList", SLOT),
        "Favorite Comment": _list("FavoriteCommentList", []),
        "Favorite Drama": {},
        "Favorite Effects": _list("FavoriteEffectsList", SLOT),
        "Favorite Hashtags": _list("FavoriteHashtagList", []),
        "Favorite Location": _list("FavoriteLocationList", []),
        "Favorite Movies and TV": _list("FavoriteMoviesAndTVList", []),
        "Favorite Playlists": _list("FavoritePlaylistList", []),
        "Favorite Sounds": _list("FavoriteSoundList", SLOT),
        "Favorite Videos": _list("FavoriteVideoList", SLOT, App=APP),
        "Like List": _list("ItemFavoriteList", SLOT, App=APP),
    }


def location_review() -> Section:
    return {"Location Reviews": _list("ReviewsList")}


def c_post() -> Section:
    return {
        "Posts": {"VideoList": SLOT},
        "Recently Deleted Posts": _list("PostList", []),
        "Story": {},
    }


def c_profile_and_settings() -> Section:
    return {
        "AI-Moji": {"CreateDate": "", "AIMojiList": None},
        "AISelfImage": {},
        "Autofill": autofill(),
        "Block List": _list("BlockList", App=APP),
        "Follower": _list("FansList", SLOT, App=APP, IsFastLane=False),
        "Following": _list("Following", SLOT, App=APP, IsFastLane=False),
        "Off TikTok Activity": _list("OffTikTokActivityDataList"),
        "Profile Info": _list("ProfileMap", SLOT, App=APP),
        "ProfileViews": _list("ProfileViewList"),
        "Settings": _list("SettingsMap", SLOT, App=APP),
    }


def live() -> Section:
    """``TikTok Live`` (Gen C) or ``Tiktok Live`` (Gen A and B): the same inside."""
    return {
        "Go Live History": _list("GoLiveList"),
        "Go Live Settings": go_live_settings(),
        "Watch Live History": {"WatchLiveMap": SLOT},
        "Watch Live Settings": watch_live_settings(),
    }


def c_your_activity() -> Section:
    return {
        "Activity Summary": {"ActivitySummaryMap": SLOT},
        "Ad Interests": _list("AdInterestCategories", ""),
        "Ads Visit History": _list("AdsVisitHistoryList"),
        "Donation": _list("DonationList"),
        "Fundraiser": _list("FundraiserList"),
        "Hashtag": _list("HashtagList"),
        "Instant Form Ads Responses": _list("ResponsesList"),
        "Login History": _list("LoginHistoryList", SLOT),
        "Mini Drama Watch History": {},
        "Off TikTok Activity": _list("OffTikTokActivityDataList"),
        "Purchases": _purchases(),
        "Reposts": _list("RepostList", SLOT),
        "Searches": _list("SearchList", SLOT),
        "Share History": _list("ShareHistoryList", SLOT),
        "Status": _list("Status List", SLOT),
        "Stickers": _list("StickerList"),
        "Watch History": _list("VideoList", SLOT),
    }


# Gen B (from December 2024) ----------------------------------------------------------------------


def ads_and_data() -> Section:
    return {
        "Ad Interests": _list("AdInterestCategories", ""),
        "Instant Form Ads Responses": _list("ResponsesList"),
        "Off TikTok Activity": _list("OffTikTokActivityDataList"),
    }


def b_app_settings() -> Section:
    return {
        "Block List": _list("BlockList", App=APP),
        "Settings": _list("SettingsMap", SLOT, App=APP),
    }


def b_direct_message() -> Section:
    return {"Direct Messages": {"ChatHistory": SLOT}}


def b_income_wallet() -> Section:
    return {"Transaction History": _list("TransactionsList")}


def b_post() -> Section:
    return {"Posts": {"VideoList": SLOT}, "Recently Deleted Posts": _list("PostList")}


def b_profile() -> Section:
    return {
        "AI-Moji": {"CreateDate": "", "AIMojiList": None},
        "Autofill": autofill(),
        "Profile Info": _list("ProfileMap", SLOT, App=APP),
    }


def b_your_activity() -> Section:
    return {
        "Favorite Effects": _list("FavoriteEffectsList", SLOT),
        "Favorite Hashtags": _list("FavoriteHashtagList"),
        "Favorite Sounds": _list("FavoriteSoundList", SLOT),
        "Favorite Videos": _list("FavoriteVideoList", SLOT, App=APP),
        "Follower": _list("FansList", SLOT, App=APP, IsFastLane=False),
        "Following": _list("Following", SLOT, App=APP, IsFastLane=False),
        "Hashtag": _list("HashtagList"),
        "Like List": _list("ItemFavoriteList", SLOT, App=APP),
        "Login History": _list("LoginHistoryList", SLOT),
        "Purchases": _purchases(),
        "Searches": _list("SearchList", SLOT),
        "Share History": _list("ShareHistoryList", SLOT),
        "Status": _list("Status List", SLOT),
        "Watch History": _list("VideoList", SLOT),
    }


# Gen A (until late 2024) -------------------------------------------------------------------------


def a_activity() -> Section:
    return {
        "Favorite Effects": _list("FavoriteEffectsList", SLOT),
        "Favorite Hashtags": _list("FavoriteHashtagList"),
        "Favorite Sounds": _list("FavoriteSoundList", SLOT),
        "Favorite Videos": _list("FavoriteVideoList", SLOT),
        "Follower List": _list("FansList", SLOT),
        "Following List": _list("Following", SLOT),
        "Hashtag": _list("HashtagList"),
        "Like List": _list("ItemFavoriteList", SLOT),
        "Login History": _list("LoginHistoryList", SLOT),
        "Purchases": _purchases(),
        "Search History": _list("SearchList", SLOT),
        "Share History": _list("ShareHistoryList", SLOT),
        "Status": _list("Status List", SLOT),
        "Video Browsing History": _list("VideoList", SLOT),
    }


def a_ads_and_data() -> Section:
    return {
        "Ad Interests": _list("AdInterestCategories", ""),
        "Off TikTok Activity": _list("OffTikTokActivityDataList"),
    }


def a_app_settings() -> Section:
    return {"Block": _list("BlockList"), "Settings": {"SettingsMap": SLOT}}


def a_comment() -> Section:
    return {"Comments": {"CommentsList": SLOT}}


def a_direct_messages() -> Section:
    return {"Chat History": {"ChatHistory": SLOT}}


def a_profile() -> Section:
    return {"Profile Information": {"ProfileMap": SLOT}}


def a_video() -> Section:
    return {"Videos": {"VideoList": SLOT}}


def _purchases() -> Section:
    return {"SendGifts": _list("SendGifts"), "BuyGifts": _list("BuyGifts")}
