"""The sections of the ``activity`` category: ``Comment``, ``Likes and Favorites`` and
``Your Activity`` (Gen C layout, tiktok-api.md §3.2)."""

from __future__ import annotations

from typing import Any

from tiktok_sandbox.archives.fake import CARRIERS, NETWORKS, SHARE_METHODS
from tiktok_sandbox.archives.items import APP, Context, Item, watch_maker

WATCH_DAYS = 60  # the natural watch history spans the last 60 days


def comment(ctx: Context) -> dict[str, Any]:
    """``Comment``: lowercase keys, dates with a `` UTC`` suffix, as TikTok writes them."""
    fake = ctx.fake
    comments = []
    for when in fake.stamps(ctx.count("comments"), days=300):
        link = fake.video_link()
        comments.append(
            {
                "date": f"{when} UTC",
                "comment": fake.phrase(),
                "photo": "N/A",
                "video": "N/A",
                "sticker": "N/A",
                "originalPostUrl": link,
                "original post link": link,
            }
        )
    return {"Comments": {"App": APP, "CommentsList": comments}}


def likes_and_favorites(ctx: Context) -> dict[str, Any]:
    """``Likes and Favorites``: note the lowercase ``date``/``link`` of the Like List."""
    fake = ctx.fake
    likes = [
        {"date": when, "link": fake.video_link()}
        for when in fake.stamps(ctx.count("likes"), days=200)
    ]
    effects = ctx.dated(
        "effects", 400, EffectLink=lambda: f"https://www.tiktok.com/effect/{fake.digits(16)}"
    )
    sounds = ctx.dated(
        "sounds", 400, Link=lambda: f"https://www.tiktok.com/music/sound-{fake.video_id()}"
    )
    return {
        "Collection": {},
        "Favorite Collection": {
            "FavoriteCollectionList": ctx.dated("collections", 400, FavoriteCollection=fake.topic)
        },
        "Favorite Comment": {"FavoriteCommentList": []},
        "Favorite Drama": {},
        "Favorite Effects": {"FavoriteEffectsList": effects},
        "Favorite Hashtags": {"FavoriteHashtagList": []},
        "Favorite Location": {"FavoriteLocationList": []},
        "Favorite Movies and TV": {"FavoriteMoviesAndTVList": []},
        "Favorite Playlists": {"FavoritePlaylistList": []},
        "Favorite Sounds": {"FavoriteSoundList": sounds},
        "Favorite Videos": {
            "App": APP,
            "FavoriteVideoList": ctx.dated("favorites", 300, Link=fake.video_link),
        },
        "Like List": {"App": APP, "ItemFavoriteList": likes},
    }


def your_activity(ctx: Context) -> dict[str, Any]:
    """``Your Activity``: the watch history (the biggest list), searches, logins, devices."""
    fake = ctx.fake
    watched = ctx.items(watch_maker(ctx), ctx.count("watch"), WATCH_DAYS)
    logins = [_login(ctx, when) for when in fake.stamps(ctx.count("logins"), days=180)]
    shares = ctx.dated(
        "shares",
        120,
        SharedContent=lambda: "video",
        Link=fake.video_link,
        Method=lambda: fake.pick(SHARE_METHODS),
    )
    return {
        "Activity Summary": {
            "ActivitySummaryMap": {
                "note": "This data was collected since your account was registered.",
                "videosCommentedOnSinceAccountRegistration": ctx.count("comments"),
                "videosSharedSinceAccountRegistration": ctx.count("shares"),
                "videosWatchedToTheEndSinceAccountRegistration": len(watched) // 2,
            }
        },
        "Ad Interests": {"AdInterestCategories": ""},
        "Ads Visit History": {"AdsVisitHistoryList": None},
        "Donation": {"DonationList": None},
        "Fundraiser": {"FundraiserList": None},
        "Hashtag": {"HashtagList": None},
        "Instant Form Ads Responses": {"ResponsesList": None},
        "Login History": {"LoginHistoryList": logins},
        "Mini Drama Watch History": {},
        "Off TikTok Activity": {"OffTikTokActivityDataList": None},
        "Purchases": {"SendGifts": {"SendGifts": None}, "BuyGifts": {"BuyGifts": None}},
        "Reposts": {"RepostList": ctx.dated("reposts", 120, Link=fake.video_link)},
        "Searches": {"SearchList": ctx.dated("searches", 90, SearchTerm=fake.topic)},
        "Share History": {"ShareHistoryList": shares},
        "Status": {"Status List": [_status(ctx) for _ in range(ctx.count("statuses"))]},
        "Stickers": {"StickerList": None},
        "Watch History": {"VideoList": watched},
    }


def _login(ctx: Context, when: str) -> Item:
    fake = ctx.fake
    model, system = fake.device()
    return {
        "Date": when,
        "IP": fake.ip(),
        "DeviceModel": model,
        "DeviceSystem": system,
        "NetworkType": fake.pick(NETWORKS),
        "Carrier": fake.pick(CARRIERS),
    }


def _status(ctx: Context) -> Item:
    fake = ctx.fake
    return {
        "Resolution": fake.pick(("1170*2532", "1080*2400", "1440*3088")),
        "App Version": fake.pick(("37.4.0", "38.1.3", "39.0.2")),
        "IDFA": fake.uuid(),
        "GAID": "",
        "Android ID": "",
        "IDFV": fake.uuid(),
        "UID": int(fake.digits(18)),
        "DID": fake.video_id(),
        "Web ID": "",
    }
