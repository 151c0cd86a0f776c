"""What the section builders share: their context and the makers of list items.

The makers take an item's date and id as strings, so the filler can pass placeholders and
repeat one rendered block many times (see ``filler``); natural items get real values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tiktok_sandbox.archives.fake import Fake, share_link
from tiktok_sandbox.personas import Persona

APP = 1233  # the "App" sibling of many lists: TikTok's own app id
# How many items each list holds in a natural archive; a sized one starts from one of each.
NATURAL_COUNTS: dict[str, int] = {
    "watch": 300,
    "likes": 150,
    "favorites": 60,
    "sounds": 4,
    "effects": 2,
    "collections": 3,
    "searches": 40,
    "shares": 12,
    "logins": 30,
    "statuses": 3,
    "reposts": 8,
    "comments": 25,
    "posts": 24,
    "following": 60,
    "followers": 40,
    "chats": 3,
    "messages": 12,
    "lives": 4,
}
MINIMAL_COUNTS: dict[str, int] = dict.fromkeys(NATURAL_COUNTS, 1)

Item = dict[str, Any]
ItemMaker = Callable[[str, str], Item]


@dataclass(frozen=True)
class Context:
    """What the section builders draw from: the fake values, the person, the list sizes."""

    fake: Fake
    persona: Persona
    counts: Mapping[str, int]

    def count(self, name: str, ceiling: int | None = None) -> int:
        """How many items list ``name`` holds; at least one, at most ``ceiling``."""
        count = self.counts[name]
        return count if ceiling is None else max(1, min(count, ceiling))

    def items(self, maker: ItemMaker, count: int, days: int) -> list[Item]:
        """``count`` items from ``maker``, newest first, over the last ``days`` days."""
        return [maker(when, self.fake.video_id()) for when in self.fake.stamps(count, days=days)]

    def dated(self, name: str, days: int, **fields: Callable[[], Any]) -> list[Item]:
        """``count(name)`` items of a ``Date`` and the given fields, newest first."""
        return [
            {"Date": when, **{key: value() for key, value in fields.items()}}
            for when in self.fake.stamps(self.count(name), days=days)
        ]


def watch_maker(ctx: Context) -> ItemMaker:
    """Watch History items: ``Date``, ``Link``, ``Title`` (often empty)."""
    fake = ctx.fake

    def make(when: str, video_id: str) -> Item:
        return {"Date": when, "Link": share_link(video_id), "Title": fake.pick(("", fake.title()))}

    return make


def post_maker(ctx: Context) -> ItemMaker:
    """The person's own posts, with their sharing settings."""
    fake, username = ctx.fake, ctx.persona.username

    def make(when: str, video_id: str) -> Item:
        return {
            "Date": when,
            "Link": share_link(video_id),
            "Likes": str(fake.rng.randrange(3, 40_000)),
            "WhoCanView": "Everyone",
            "AllowComments": "Yes",
            "AllowStitches": fake.pick(("Yes", "No")),
            "AllowDuets": fake.pick(("Yes", "No")),
            "AllowStickers": "Yes",
            "AllowSharingToStory": "Yes",
            "ContentDisclosure": "",
            "AIGeneratedContent": "No",
            "Sound": f"original sound - {username}",
            "Location": "",
            "Title": fake.title(),
        }

    return make


def message_maker(ctx: Context, peer: str) -> ItemMaker:
    """Messages of one chat between the person and ``peer``."""
    fake, me = ctx.fake, ctx.persona.username

    def make(when: str, _id: str) -> Item:
        return {"Date": when, "From": fake.pick((me, peer)), "Content": fake.phrase()}

    return make


def user_maker() -> ItemMaker:
    """Followers and followings; the id's digits make each name unique."""

    def make(when: str, token: str) -> Item:
        return {"Date": when, "UserName": f"user{token[1:]}"}

    return make
