"""The sections of the other categories: ``Post`` (video), ``Profile And Settings`` (profile),
``Direct Message`` (direct_message), and those only ``all_data`` brings: ``Income+ Wallet``,
``Location Review``, ``TikTok Live`` and ``TikTok Shop`` (Gen C layout, tiktok-api.md §3.2)."""

from __future__ import annotations

from typing import Any

from tiktok_sandbox.archives.items import APP, Context, message_maker, post_maker, user_maker

# How many days back the natural items of the lists that can grow go.
POST_DAYS = 700
MESSAGE_DAYS = 90
FOLLOW_DAYS = 900
SHOP_SECTIONS = {
    "Communication With Shops": "CommunicationHistories",
    "Current Payment Information": "PayCard",
    "Customer Support History": "CustomerSupportHistories",
    "Order Dispute History": "OrderDisputeHistories",
    "Order History": "OrderHistories",
    "Product Browsing History": "ProductBrowsingHistories",
    "Product Reviews": "ProductReviewHistories",
    "Returns and Refunds History": "ReturnAndRefundHistories",
    "Saved Address Information": "SavedAddress",
    "Shopping Cart List": "ShoppingCart",
    "Vouchers": "Vouchers",
}
AUTOFILL_FIELDS = (
    "PhoneNumber", "Email", "FirstName", "LastName", "Address", "ZipCode", "Unit", "City",
    "State", "Country",
)  # fmt: skip


def post(ctx: Context) -> dict[str, Any]:
    """``Post``: the person's own videos, at most as many as their profile says."""
    count = ctx.count("posts", ctx.persona.video_count)
    return {
        "Posts": {"VideoList": ctx.items(post_maker(ctx), count, POST_DAYS)},
        "Recently Deleted Posts": {"PostList": []},
        "Story": {},
    }


def profile_and_settings(ctx: Context) -> dict[str, Any]:
    """``Profile And Settings``: the persona's profile, followers, following and settings."""
    persona = ctx.persona
    followers = ctx.count("followers", persona.follower_count)
    following = ctx.count("following", persona.following_count)
    return {
        "AI-Moji": {"CreateDate": "", "AIMojiList": None},
        "AISelfImage": {},
        "Autofill": dict.fromkeys(AUTOFILL_FIELDS, "N/A"),
        "Block List": {"App": APP, "BlockList": None},
        "Follower": {
            "App": APP,
            "IsFastLane": False,
            "FansList": ctx.items(user_maker(), followers, FOLLOW_DAYS),
        },
        "Following": {
            "App": APP,
            "IsFastLane": False,
            "Following": ctx.items(user_maker(), following, FOLLOW_DAYS),
        },
        "Off TikTok Activity": {"OffTikTokActivityDataList": None},
        "Profile Info": {"App": APP, "ProfileMap": _profile_map(ctx)},
        "ProfileViews": {"ProfileViewList": None},
        "Settings": {"App": APP, "SettingsMap": _settings_map()},
    }


def direct_message(ctx: Context) -> dict[str, Any]:
    """``Direct Message``: chats keyed ``"Chat History with <username>:"``."""
    chats = {}
    for _ in range(ctx.count("chats")):
        peer = ctx.fake.username()
        messages = ctx.items(message_maker(ctx, peer), ctx.count("messages"), MESSAGE_DAYS)
        chats[f"Chat History with {peer}:"] = messages
    return {
        "Direct Messages": {"ChatHistory": chats},
        "Group Chat": {"GroupChat": {}},
        "Tako Chat History": {"TakoChatHistoryList": None},
    }


def income_wallet(ctx: Context) -> dict[str, Any]:
    return {
        "Coin Purchase History": {"CoinPurchaseHistoryList": None},
        "Transaction History": {"TransactionsList": None},
    }


def location_review(ctx: Context) -> dict[str, Any]:
    return {"Location Reviews": {"ReviewsList": None}}


def tiktok_live(ctx: Context) -> dict[str, Any]:
    """``TikTok Live``: ``WatchLiveMap`` is keyed by 19-digit ids, not a list."""
    fake = ctx.fake
    watched = {}
    for when in fake.stamps(ctx.count("lives"), days=200):
        live_id = fake.video_id()
        watched[live_id] = {
            "Comments": [],
            "Questions": None,
            "WatchTime": when,
            "Link": f"https://www.tiktok.com/@{fake.username()}/live/{live_id}",
        }
    return {
        "Go Live History": {"GoLiveList": None},
        "Go Live Settings": {"SettingsMap": {"Allow gifts": "On", "Comment filter": "N/A"}},
        "Watch Live History": {"WatchLiveMap": watched},
        "Watch Live Settings": {
            "WatchLiveSettingsMap": {"app": "N/A", "web": "N/A"},
            "MostRecentModificationTimeInApp": "N/A",
            "MostRecentModificationTimeInWeb": "N/A",
        },
    }


def tiktok_shop(ctx: Context) -> dict[str, Any]:
    """``TikTok Shop``: every section empty (``null``), as for someone who never shopped."""
    shop: dict[str, Any] = {section: {key: None} for section, key in SHOP_SECTIONS.items()}
    shop["TikTokFavoriteItem"] = {"TikTokFavoriteItemResult": {"TikTokFavoriteItemList": None}}
    return dict(sorted(shop.items()))


def _profile_map(ctx: Context) -> dict[str, Any]:
    fake, persona = ctx.fake, ctx.persona
    year, month, day = (
        fake.rng.randint(1980, 2005),
        fake.rng.randint(1, 12),
        fake.rng.randint(1, 28),
    )
    photo = f"https://p16-sign-va.tiktokcdn.com/tos-maliva-avt-0068/{fake.hex(32)}~c5_720x720.jpeg"
    return {
        "PlatformInfo": [],
        "accountRegion": persona.region,
        "aiSelf": "",
        "bioDescription": persona.bio_description,
        "birthDate": f"{year}-{month:02d}-{day:02d}",
        "displayName": persona.display_name,
        "emailAddress": f"{persona.username}@example.com",
        "followerCount": persona.follower_count,
        "followingCount": persona.following_count,
        "fundraiser": "N/A",
        "inferredGender": "None",
        "instagramLink": "",
        "lemon8Link": "",
        "likesReceived": str(persona.likes_count),
        "profilePhoto": photo,
        "profileVideo": "None",
        "telephoneNumber": "None",
        "userName": persona.username,
        "youtubeLink": "",
    }


def _settings_map() -> dict[str, Any]:
    return {
        "Allow DownLoad": "On",
        "Allow Others to Find Me": "On",
        "Allow Reuse of Content": "On",
        "App Language": "en",
        "Autofill contact information": "Off",
        "Autofill payment information": "Off",
        "Content Preferences": {
            "Keyword filters for videos in Following feed": [],
            "Keyword filters for videos in For You feed": [],
            "Video Languages Preferences": [],
        },
        "Family Content Preferences": {},
        "FamilyPairing": [{"FPAccountType": "N/A", "LinkedAccountUsername": "N/A"}],
        "Filter Comments": "Off",
        "Interests": "N/A",
        "Personalized Ads": "Off",
        "Private Account": "Off",
        "Push Notification": {
            "Desktop notification": "On",
            "New Comments on My Video": "On",
            "New Fans": "On",
            "New Likes on My Video": "Off",
        },
        "ScreenTime": [
            {
                "DailyScreenTimeLimit": "N/A",
                "DailyScreenTimeToggleStatus": "Off",
                "SleepHoursDuration": "N/A",
                "SleepHoursToggleStatus": "Off",
                "WeeklyScreenTimeUpdatesToggleStatus": "On",
            }
        ],
        "Suggest your account to Facebook friends": "Off",
        "Suggest your account to contacts": "Off",
        "Suggest your account to people who open or send links to you": "On",
        "Web Language": "N/A",
        "Who Can Duet With Me": "Everyone",
        "Who Can Post Comments": "Everyone",
        "Who Can Send Me Message": "Friends",
        "Who Can Stitch with your videos": "Everyone",
        "Who Can View Videos I Liked": "Only me",
        # Malformed in TikTok's own exports, double colon included.
        "Who can see your following list::": "Everyone",
    }
