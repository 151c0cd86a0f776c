"""Exports written out by hand after shared/tiktok-archive-layouts.md and tiktok-api.md §3.

The three generations of `user_data_tiktok.json`, with a few items each: their top-level keys,
paths, item keys and quirks (lowercase like keys in Gen B, ` UTC` comment dates in Gen C, `App`
and `IsFastLane` beside lists, empty sections as null, [] or placeholders). Each function returns
a fresh document; EXPECTED says how many records each data set of it holds.

Then text exports: the English December 2024 and 2026 trees and a Dutch one.
"""

from __future__ import annotations

from typing import Any

from tests.reader.archives import blocks

VIDEO = "https://www.tiktokv.com/share/video/{}/"


def video(number: int) -> str:
    return VIDEO.format(7300000000000000000 + number)


def gen_a() -> dict[str, Any]:
    """Until late 2024: `Activity`, `Video`, `Direct Messages`, `Tiktok Shopping`."""
    return {
        "Activity": {
            "Video Browsing History": {
                "VideoList": [
                    {"Date": "2024-05-01 20:00:01", "VideoLink": video(1)},
                    {"Date": "2024-05-01 20:00:31", "VideoLink": video(2)},
                    {"Date": "2024-05-01 20:01:05", "VideoLink": video(3)},
                ]
            },
            "Like List": {
                "ItemFavoriteList": [
                    {"Date": "2024-05-01 20:00:20", "Link": video(1)},
                    {"Date": "2024-05-01 20:01:10", "Link": video(3)},
                ]
            },
            "Favorite Videos": {
                "FavoriteVideoList": [{"Date": "2024-05-02 08:00:00", "Link": video(2)}]
            },
            "Favorite Sounds": {
                "FavoriteSoundList": [
                    {"Date": "2024-04-01 12:00:00", "Link": "https://www.tiktok.com/music/x-1"}
                ]
            },
            "Favorite Effects": {
                "FavoriteEffectsList": [
                    {"Date": "2024-04-02 12:00:00", "EffectLink": "https://www.tiktok.com/e/1"}
                ]
            },
            "Favorite Hashtags": {
                "FavoriteHashtagList": [
                    {"Date": "2024-04-03 12:00:00", "Link": "https://www.tiktok.com/tag/cats"}
                ]
            },
            "Follower List": {
                "FansList": [
                    {"Date": "2024-03-01 09:00:00", "UserName": "alice"},
                    {"Date": "2024-03-02 09:00:00", "UserName": "bob.smith"},
                ]
            },
            "Following List": {"Following": [{"Date": "2024-03-03 09:00:00", "UserName": "carol"}]},
            "Search History": {
                "SearchList": [
                    {"Date": "2024-05-01 19:59:00", "SearchTerm": "cats"},
                    {"Date": "2024-05-01 19:59:30", "SearchTerm": "dogs"},
                ]
            },
            "Share History": {
                "ShareHistoryList": [
                    {
                        "Date": "2024-05-01 20:02:00",
                        "SharedContent": "video",
                        "Link": video(3),
                        "Method": "copy_link",
                    }
                ]
            },
            "Login History": {
                "LoginHistoryList": [
                    {
                        "Date": "2024-05-01 19:58:00",
                        "IP": "192.0.2.10",
                        "DeviceModel": "iPhone14,2",
                        "DeviceSystem": "iOS 17.4",
                        "NetworkType": "Wi-Fi",
                        "Carrier": "N/A",
                    }
                ]
            },
            "Status": {
                "Status List": [{"Resolution": "1170*2532", "App Version": "34.1.0", "IDFA": "N/A"}]
            },
        },
        "Ads and data": {
            "Ad Interests": {"AdInterestCategories": "Food & Drink | Travel"},
            "Off TikTok Activity": {
                "OffTikTokActivityDataList": [
                    {"TimeStamp": "2024-04-20 10:00:00", "Source": "shop.example", "Event": "Pay"}
                ]
            },
        },
        "App Settings": {
            "Block": {"BlockList": [{"Date": "2024-02-01 10:00:00", "UserName": "spammer"}]},
            "Settings": {"SettingsMap": {"Allow DownLoad": "Enabled", "Private Account": "Off"}},
        },
        "Comment": {
            "Comments": {
                "CommentsList": [
                    {"Date": "2024-05-01 20:00:25", "Comment": "so good"},
                    {"Date": "2024-05-01 20:01:15", "Comment": "haha"},
                ]
            }
        },
        "Direct Messages": {
            "Chat History": {
                "ChatHistory": {
                    "Chat History with bob.smith:": [
                        {"Date": "2024-05-03 18:00:00", "From": "bob.smith", "Content": "hi"},
                        {"Date": "2024-05-03 18:01:00", "From": "me", "Content": "hello"},
                    ],
                    "Chat History with carol:": [
                        {"Date": "2024-05-04 18:00:00", "From": "carol", "Content": "look"}
                    ],
                }
            }
        },
        "Profile": {
            "Profile Information": {
                "ProfileMap": {
                    "userName": "me",
                    "bioDescription": "hello",
                    "birthDate": "01-Jan-2000",
                    "emailAddress": "me@example.com",
                    "telephoneNumber": "N/A",
                    "likesReceived": "12",
                    "PlatformInfo": [],
                }
            }
        },
        "Tiktok Live": {
            "Watch Live History": {
                "WatchLiveMap": {
                    "7301234567890123456": {
                        "WatchTime": "2024-04-30 21:00:00",
                        "Link": "https://www.tiktok.com/@host/live",
                        "Comments": [],
                        "Questions": None,
                    }
                }
            }
        },
        "Tiktok Shopping": {
            "Communication History": {"CommunicationHistories": None},
            "Order History": {"OrderHistories": None},
        },
        "Video": {
            "Videos": {
                "VideoList": [
                    {
                        "Date": "2024-04-10 17:00:00",
                        "Link": video(99),
                        "Likes": "4",
                        "WhoCanView": "Everyone",
                        "AllowComments": "Yes",
                        "Sound": "original sound",
                        "Location": "N/A",
                    }
                ]
            }
        },
    }


def gen_b() -> dict[str, Any]:
    """December 2024 on: `Your Activity`, `Watch History`, `Profile Info`, `Follower`, `Post`,
    `Direct Message`; the like list in lowercase; wrappers with `App` and `IsFastLane`."""
    return {
        "Ads and data": {
            "Ad Interests": {"AdInterestCategories": ""},
            "Off TikTok Activity": {"OffTikTokActivityDataList": []},
        },
        "App Settings": {
            "Block List": {"BlockList": None},
            "Settings": {"SettingsMap": {"Allow DownLoad": "Enabled", "Private Account": "Off"}},
        },
        "Comment": {
            "Comments": {"CommentsList": [{"Date": "2024-12-01 10:00:05", "Comment": "wow"}]}
        },
        "Direct Message": {
            "Direct Messages": {
                "ChatHistory": {
                    "Chat History with bob.smith:": [
                        {"Date": "2024-12-02 18:00:00", "From": "bob.smith", "Content": "yo"},
                        {"Date": "2024-12-02 18:00:30", "From": "me", "Content": "hey"},
                    ]
                }
            }
        },
        "Income Plus Wallet Transactions": None,
        "Location Review": None,
        "Post": {"Posts": {"VideoList": [{"Date": "2024-12-03 17:00:00", "Link": video(98)}]}},
        "Profile": {
            "Profile Info": {
                "ProfileMap": {"userName": "me", "bioDescription": "", "likesReceived": "0"}
            }
        },
        "TikTok Shop": {"Communication With Shops": {"CommunicationHistories": None}},
        "Tiktok Live": {
            "Watch Live History": {
                "WatchLiveMap": {
                    "7301234567890123456": {
                        "WatchTime": "2024-12-01 21:00:00",
                        "Link": "https://www.tiktok.com/@host/live",
                    }
                }
            }
        },
        "Your Activity": {
            "Watch History": {
                "VideoList": [
                    {"Date": "2024-12-01 10:00:00", "Link": video(1)},
                    {"Date": "2024-12-01 10:00:40", "Link": video(2)},
                    {"Date": "2024-12-01 10:01:20", "Link": video(3)},
                ]
            },
            "Like List": {
                "ItemFavoriteList": [
                    {"date": "2024-12-01 10:00:10", "link": video(1)},
                    {"date": "2024-12-01 10:01:30", "link": video(3)},
                ]
            },
            "Favorite Videos": {
                "FavoriteVideoList": [{"Date": "2024-12-01 10:00:50", "Link": video(2)}]
            },
            "Favorite Sounds": {"FavoriteSoundList": None},
            "Follower": {
                "App": 1,
                "FansList": [
                    {"Date": "2024-11-01 09:00:00", "UserName": "alice"},
                    {"Date": "2024-11-02 09:00:00", "UserName": "bob.smith"},
                ],
                "IsFastLane": False,
            },
            "Following": {
                "App": 1,
                "Following": [{"Date": "2024-11-03 09:00:00", "UserName": "carol"}],
                "IsFastLane": False,
            },
            "Searches": {
                "SearchList": [
                    {"Date": "2024-12-01 09:59:00", "SearchTerm": "cats"},
                    {"Date": "2024-12-01 09:59:20", "SearchTerm": "N/A"},
                ]
            },
            "Share History": {
                "ShareHistoryList": [
                    {
                        "Date": "2024-12-01 10:02:00",
                        "SharedContent": "video",
                        "Link": video(3),
                        "Method": "chat_merge",
                    }
                ]
            },
            "Login History": {
                "LoginHistoryList": [
                    {"Date": "2024-12-01 09:58:00", "IP": "192.0.2.11", "DeviceModel": "Pixel 8"}
                ]
            },
            "Status": {"Status List": [{"Resolution": "1080*2400", "App Version": "37.5.0"}]},
            "Activity Summary": {
                "ActivitySummaryMap": {
                    "videosCommentedOnSinceAccountRegistration": 1,
                    "videosSharedSinceAccountRegistration": 1,
                    "videosWatchedToTheEndSinceAccountRegistration": 2,
                }
            },
        },
    }


def gen_c() -> dict[str, Any]:
    """Around January 2026: exactly ten top-level keys; likes and favourites under `Likes and
    Favorites`, profile and followers under `Profile And Settings`, `TikTok Live`."""
    return {
        "Comment": {
            "Comments": {
                "CommentsList": [
                    {
                        "date": "2026-01-10 10:00:00 UTC",
                        "comment": "first!",
                        "photo": "N/A",
                        "video": "N/A",
                        "sticker": "N/A",
                        "originalPostUrl": video(11),
                    },
                    {
                        "date": "2026-01-10 10:05:00 UTC",
                        "comment": "same",
                        "photo": "N/A",
                        "original post link": video(12),
                    },
                ]
            }
        },
        "Direct Message": {
            "Direct Messages": {
                "ChatHistory": {
                    "Chat History with bob.smith:": [
                        {"Date": "2026-01-11 18:00:00", "From": "bob.smith", "Content": "yo"}
                    ],
                    "Chat History with carol:": [
                        {"Date": "2026-01-11 19:00:00", "From": "carol", "Content": "a"},
                        {"Date": "2026-01-11 19:00:09", "From": "me", "Content": "b"},
                    ],
                }
            },
            "Group Chat": {"GroupChat": None},
        },
        "Income+ Wallet": None,
        "Likes and Favorites": {
            "Like List": {
                "ItemFavoriteList": [
                    {"date": "2026-01-10 09:00:10", "link": video(1)},
                    {"date": "2026-01-10 09:01:10", "link": video(2)},
                    {"date": "2026-01-10 09:02:10", "link": video(4)},
                ]
            },
            "Favorite Videos": {
                "FavoriteVideoList": [
                    {"Date": "2026-01-10 09:00:30", "Link": video(1)},
                    {"Date": "2026-01-10 09:02:30", "Link": video(4)},
                ]
            },
            "Favorite Sounds": {
                "FavoriteSoundList": [
                    {"Date": "2026-01-02 12:00:00", "Link": "https://www.tiktok.com/music/x-2"}
                ]
            },
            "Favorite Effects": {
                "FavoriteEffectsList": [
                    {"Date": "2026-01-03 12:00:00", "EffectLink": "https://www.tiktok.com/e/2"}
                ]
            },
            "Favorite Hashtags": {"FavoriteHashtagList": []},
            "Favorite Collection": {"FavoriteCollectionList": None},
        },
        "Location Review": None,
        "Post": {
            "Posts": {
                "VideoList": [
                    {"Date": "2026-01-05 17:00:00", "Link": video(97), "Title": "my cat"},
                    {"Date": "2026-01-06 17:00:00", "Link": video(96), "Title": "my dog"},
                ]
            }
        },
        "Profile And Settings": {
            "Profile Info": {
                "ProfileMap": {
                    "userName": "me",
                    "displayName": "Me Myself",
                    "accountRegion": "NL",
                    "followerCount": 3,
                    "bioDescription": "N/A",
                }
            },
            "Follower": {
                "App": 1,
                "FansList": [
                    {"Date": "2025-11-01 09:00:00", "UserName": "alice"},
                    {"Date": "2025-11-02 09:00:00", "UserName": "bob.smith"},
                    {"Date": "2025-11-03 09:00:00", "UserName": "dave"},
                ],
                "IsFastLane": False,
            },
            "Following": {
                "App": 1,
                "Following": [
                    {"Date": "2025-11-04 09:00:00", "UserName": "carol"},
                    {"Date": "2025-11-05 09:00:00", "UserName": "erin"},
                ],
                "IsFastLane": False,
            },
            "Block List": {"BlockList": [{"Date": "2025-10-01 10:00:00", "UserName": "spam"}]},
            "Settings": {
                "SettingsMap": {
                    "Who can see your following list::": "Only me",
                    "Private Account": "Off",
                }
            },
            "Off TikTok Activity": {"OffTikTokActivityDataList": None},
        },
        "TikTok Live": {
            "Watch Live History": {
                "WatchLiveMap": {
                    "7301234567890123456": {
                        "WatchTime": "2026-01-01 21:00:00",
                        "Link": "https://www.tiktok.com/@host/live",
                        "Comments": [],
                    },
                    "7301234567890123457": {
                        "WatchTime": "2026-01-02 21:00:00",
                        "Link": "https://www.tiktok.com/@other/live",
                    },
                }
            }
        },
        "TikTok Shop": None,
        "Your Activity": {
            "Watch History": {
                "VideoList": [
                    {"Date": "2026-01-10 09:00:00", "Link": video(1), "Title": "a cat"},
                    {"Date": "2026-01-10 09:00:50", "Link": video(2), "Title": "a dog"},
                    {"Date": "2026-01-10 09:01:40", "Link": video(3), "Title": "N/A"},
                    {"Date": "2026-01-10 09:02:00", "Link": video(4)},
                ]
            },
            "Searches": {"SearchList": [{"Date": "2026-01-10 08:59:00", "SearchTerm": "cat"}]},
            "Share History": {"ShareHistoryList": None},
            "Login History": {
                "LoginHistoryList": [
                    {"Date": "2026-01-10 08:58:00", "IP": "192.0.2.12"},
                    {"Date": "2026-01-09 08:58:00", "IP": "192.0.2.13"},
                ]
            },
            "Status": {
                "Status List": [{"Resolution": "1179*2556", "App Version": "42.0", "UID": "1"}]
            },
            "Activity Summary": {
                "ActivitySummaryMap": {"videosWatchedToTheEndSinceAccountRegistration": 4}
            },
            "Reposts": {"RepostList": [{"Date": "2026-01-10 09:03:00", "Link": video(2)}]},
            "Ad Interests": {"AdInterestCategories": "Pets"},
            "Off TikTok Activity": {
                "OffTikTokActivityDataList": [
                    {"TimeStamp": "2026-01-08 10:00:00", "Source": "shop.example", "Event": "View"}
                ]
            },
        },
    }


EXPECTED: dict[str, dict[str, int]] = {
    "A": {
        "watch_history": 3,
        "likes": 2,
        "favorite_videos": 1,
        "favorite_sounds": 1,
        "favorite_effects": 1,
        "favorite_hashtags": 1,
        "followers": 2,
        "following": 1,
        "searches": 2,
        "shares": 1,
        "logins": 1,
        "device_status": 1,
        "ad_interests": 1,
        "off_tiktok_activity": 1,
        "blocked": 1,
        "settings": 1,
        "comments": 2,
        "direct_messages": 3,
        "profile": 1,
        "live_watched": 1,
        "posts": 1,
    },
    "B": {
        "settings": 1,
        "comments": 1,
        "direct_messages": 2,
        "posts": 1,
        "profile": 1,
        "live_watched": 1,
        "watch_history": 3,
        "likes": 2,
        "favorite_videos": 1,
        "followers": 2,
        "following": 1,
        "searches": 2,  # the second has a date, its term is "N/A"
        "shares": 1,
        "logins": 1,
        "device_status": 1,
        "activity_summary": 1,
    },
    "C": {
        "comments": 2,
        "direct_messages": 3,
        "likes": 3,
        "favorite_videos": 2,
        "favorite_sounds": 1,
        "favorite_effects": 1,
        "posts": 2,
        "profile": 1,
        "followers": 3,
        "following": 2,
        "blocked": 1,
        "settings": 1,
        "live_watched": 2,
        "watch_history": 4,
        "searches": 1,
        "logins": 2,
        "device_status": 1,
        "activity_summary": 1,
        "reposts": 1,
        "ad_interests": 1,
        "off_tiktok_activity": 1,
    },
}
# The sections each document holds that are present but empty: listed, no record.
EMPTY_SECTIONS: dict[str, tuple[tuple[str, ...], ...]] = {
    "A": (),
    "B": (
        ("Ads and data", "Ad Interests", "AdInterestCategories"),
        ("Ads and data", "Off TikTok Activity", "OffTikTokActivityDataList"),
        ("App Settings", "Block List", "BlockList"),
        ("Your Activity", "Favorite Sounds", "FavoriteSoundList"),
    ),
    "C": (
        ("Likes and Favorites", "Favorite Hashtags", "FavoriteHashtagList"),
        ("Likes and Favorites", "Favorite Collection", "FavoriteCollectionList"),
        ("Profile And Settings", "Off TikTok Activity", "OffTikTokActivityDataList"),
        ("Your Activity", "Share History", "ShareHistoryList"),
    ),
}
DOCUMENTS = {"A": gen_a, "B": gen_b, "C": gen_c}


# Text exports (shared/tiktok-archive-layouts.md, "Text exports"): path in the zip -> text.
LINK = video(1)
LINK2 = video(2)
NO_DATA = "You have no data in this section"


def watched(*dates: str, date_key: str = "Date") -> str:
    return blocks(*({date_key: f"{d} UTC", "Link": LINK} for d in dates))


ENGLISH_2024 = {
    "TikTok/Activity/Browsing History.txt": watched("2024-12-01 10:00:00", "2024-12-01 10:01:00"),
    "TikTok/Activity/Comments.txt": blocks({"Date": "2024-12-01 10:00:30 UTC", "Comment": "wow"}),
    "TikTok/Activity/Follower.txt": blocks(
        {"Date": "2024-11-01 09:00:00 UTC", "Username": "alice"},
        {"Date": "2024-11-02 09:00:00 UTC", "Username": "bob.smith"},
    ),
    "TikTok/Activity/Following.txt": blocks({"Date": "2024-11-03 09:00:00 UTC", "Username": "c"}),
    "TikTok/Activity/Like List.txt": watched("2024-12-01 10:00:10"),
    "TikTok/Activity/Favorite Videos.txt": watched("2024-12-01 10:00:20"),
    "TikTok/Activity/Searches.txt": blocks(
        {"Date": "2024-12-01 09:59:00 UTC", "Search Term": "cat"}
    ),
    "TikTok/Activity/Share History.txt": NO_DATA,
    "TikTok/Activity/Login History.txt": blocks(
        {"Date": "2024-12-01 09:58:00 UTC", "IP": "192.0.2.1", "Device Model": "Pixel 8"}
    ),
    "TikTok/Direct Messages/Direct Messages.txt": (
        "Chat History with bob.smith:\n"
        + blocks({"Date": "2024-12-02 18:00:00 UTC", "From": "bob.smith", "Content": "hi"})
    ),
    "TikTok/Posts/Post.txt": blocks({"Date": "2024-12-03 17:00:00 UTC", "Link": LINK2}),
    "TikTok/Profile/Profile Info.txt": "Username: me\nBio Description: hello\nEmail: N/A",
    "TikTok/TikTok Live/Watch Live History.txt": blocks(
        {"Watch Time": "2024-12-01 21:00:00 UTC", "Link": "https://www.tiktok.com/@h/live"}
    ),
    "TikTok/TikTok Shopping/Order History.txt": NO_DATA,
}
ENGLISH_2026 = {
    "TikTok/Comments/Comments.txt": blocks({"Date": "2026-03-01 10:00:00 UTC", "Comment": "a"}),
    "TikTok/Likes and Favourites/Like List.txt": watched("2026-03-01 09:00:00"),
    "TikTok/Likes and Favourites/Favourite Videos.txt": watched("2026-03-01 09:10:00"),
    "TikTok/Your Activity/Watch History.txt": watched(
        "2026-03-01 09:00:00", "2026-03-01 09:00:40", "2026-03-01 09:01:30"
    ),
    "TikTok/Your Activity/Reposts.txt": blocks(
        {"Creation Time": "2026-03-01 09:02:00 UTC", "Link": LINK}
    ),
    "TikTok/Profile and Settings/Following.txt": blocks(
        {"Date": "2026-02-01 09:00:00 UTC", "Username": "carol"},
        {"Date": "2026-02-02 09:00:00 UTC", "Username": "dave"},
    ),
}
DUTCH = {
    "TikTok/Je activiteit/Kijkgeschiedenis.txt": watched(
        "2026-03-01 09:00:00", "2026-03-01 09:00:40", date_key="Datum"
    ),
    "TikTok/Je activiteit/Favoriete video's.txt": watched("2026-03-01 09:05:00", date_key="Datum"),
    "TikTok/Je activiteit/Volger.txt": blocks(
        {"Datum": "2026-02-01 09:00:00 UTC", "Gebruikersnaam": "alice"}
    ),
    "TikTok/Je activiteit/Volgend.txt": blocks(
        {"Datum": "2026-02-02 09:00:00 UTC", "Gebruikersnaam": "bob"},
        {"Datum": "2026-02-03 09:00:00 UTC", "Gebruikersnaam": "carol"},
    ),
    "TikTok/Je activiteit/Likelijst.txt": watched("2026-03-01 09:00:10", date_key="Datum"),
    "TikTok/Je activiteit/Reacties.txt": "Er zijn geen gegevens in dit gedeelte",
    "TikTok/Profiel/Profielinformatie.txt": "Gebruikersnaam: ik\nBio: n.v.t.",
}
