"""The data sets of the other categories: the person's posts (video), profile, followers,
following and settings (profile), chats (direct_message) and the LIVEs they watched, and the
fixed, empty sections around them (shop, wallet, autofill).

Data sets are in their Gen C spelling (tiktok-api.md §3.2), each from its own stream;
``generations`` places and respells them.
"""

from __future__ import annotations

from typing import Any

from tiktok_sandbox.archives.items import (
    Context,
    Item,
    listed,
    message_maker,
    post_maker,
    user_maker,
)

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
CHAT_PREFIX, CHAT_SUFFIX = "Chat History with ", ":"


def posts(ctx: Context) -> list[Item]:
    """The person's own videos, at most as many as their profile says."""
    fake = ctx.fake("posts")
    count = ctx.count("posts", ctx.persona.video_count)
    return listed(fake, post_maker(fake, ctx.persona.username), count, POST_DAYS)


def followers(ctx: Context) -> list[Item]:
    count = ctx.count("followers", ctx.persona.follower_count)
    return listed(ctx.fake("followers"), user_maker(), count, FOLLOW_DAYS)


def following(ctx: Context) -> list[Item]:
    count = ctx.count("following", ctx.persona.following_count)
    return listed(ctx.fake("following"), user_maker(), count, FOLLOW_DAYS)


def chats(ctx: Context) -> dict[str, list[Item]]:
    """Chats keyed ``"Chat History with <username>:"``, each a list of messages."""
    fake, me = ctx.fake("chats"), ctx.persona.username
    found = {}
    for _ in range(ctx.count("chats")):
        peer = fake.username()
        maker = message_maker(fake, me, peer)
        found[chat_name(peer)] = listed(fake, maker, ctx.count("messages"), MESSAGE_DAYS)
    return found


def chat_name(peer: str) -> str:
    return f"{CHAT_PREFIX}{peer}{CHAT_SUFFIX}"


def chat_peer(name: str) -> str:
    return name.removeprefix(CHAT_PREFIX).removesuffix(CHAT_SUFFIX)


def lives(ctx: Context) -> dict[str, Any]:
    """The LIVEs watched: ``WatchLiveMap`` is keyed by 19-digit ids, not a list."""
    fake = ctx.fake("lives")
    watched = {}
    for when in fake.stamps(ctx.count("lives"), days=200):
        live_id = fake.video_id()
        watched[live_id] = {
            "Comments": [],
            "Questions": None,
            "WatchTime": when,
            "Link": f"https://www.tiktok.com/@{fake.username()}/live/{live_id}",
        }
    return watched


def profile(ctx: Context) -> dict[str, Any]:
    """The ProfileMap of the persona; Gen C's has more keys than older ones."""
    fake, persona = ctx.fake("profile"), ctx.persona
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


def settings(ctx: Context) -> dict[str, Any]:
    """The SettingsMap: a free-form map, the same for everyone."""
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
        # Malformed in TikTok's own Gen C exports, double colon included.
        "Who can see your following list::": "Everyone",
    }


def shop() -> dict[str, Any]:
    """The shop: every section empty (``null``), as for someone who never shopped."""
    sections: dict[str, Any] = {section: {key: None} for section, key in SHOP_SECTIONS.items()}
    sections["TikTokFavoriteItem"] = {"TikTokFavoriteItemResult": {"TikTokFavoriteItemList": None}}
    return dict(sorted(sections.items()))


def autofill() -> dict[str, str]:
    return dict.fromkeys(AUTOFILL_FIELDS, "N/A")


def go_live_settings() -> dict[str, Any]:
    return {"SettingsMap": {"Allow gifts": "On", "Comment filter": "N/A"}}


def watch_live_settings() -> dict[str, Any]:
    return {
        "WatchLiveSettingsMap": {"app": "N/A", "web": "N/A"},
        "MostRecentModificationTimeInApp": "N/A",
        "MostRecentModificationTimeInWeb": "N/A",
    }
