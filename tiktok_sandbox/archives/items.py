"""What the data set builders share: their context and the makers of list items.

Every data set draws its values from its own stream (``Context.fake``), seeded from the request
and the data set's name: the watch history of a request is the same in every layout, and a
switch that adds a section changes nothing else.

The makers take an item's date and id as strings, so the filler can pass placeholders and
repeat one rendered block many times (see ``filler``); natural items get real values. They make
the richest (Gen C) spelling of an item; ``generations`` respells it for older layouts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
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
    """What the data set builders draw from: the request's seed and time, the person, the list
    sizes."""

    seed: int
    anchor: datetime
    persona: Persona
    counts: Mapping[str, int]

    def fake(self, stream: str) -> Fake:
        """A fresh source of values for ``stream`` (a data set's name): the same stream always
        starts with the same values, so call it once per data set."""
        return Fake(f"{self.seed}:{stream}", self.anchor)

    def count(self, name: str, ceiling: int | None = None) -> int:
        """How many items list ``name`` holds: at most ``ceiling``, and at least one unless the
        ceiling is 0 (a persona with no followers has none)."""
        count = self.counts[name]
        return count if ceiling is None else min(max(1, count), ceiling)


def listed(fake: Fake, maker: ItemMaker, count: int, days: int) -> list[Item]:
    """``count`` items from ``maker``, newest first, over the last ``days`` days."""
    return [maker(when, fake.video_id()) for when in fake.stamps(count, days=days)]


def dated(fake: Fake, count: int, days: int, **fields: Callable[[], Any]) -> list[Item]:
    """``count`` items of a ``Date`` and the given fields, newest first."""
    return [
        {"Date": when, **{key: value() for key, value in fields.items()}}
        for when in fake.stamps(count, days=days)
    ]


def watch_maker(fake: Fake) -> ItemMaker:
    """Watch History items: ``Date``, ``Link``, ``Title`` (often empty)."""

    def make(when: str, video_id: str) -> Item:
        return {"Date": when, "Link": share_link(video_id), "Title": fake.pick(("", fake.title()))}

    return make


def post_maker(fake: Fake, username: str) -> ItemMaker:
    """The person's own posts, with their sharing settings."""

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


def message_maker(fake: Fake, me: str, peer: str) -> ItemMaker:
    """Messages of one chat between the person (``me``) and ``peer``."""

    def make(when: str, _id: str) -> Item:
        return {"Date": when, "From": fake.pick((me, peer)), "Content": fake.phrase()}

    return make


def user_maker() -> ItemMaker:
    """Followers and followings; the id's digits make each name unique."""

    def make(when: str, token: str) -> Item:
        return {"Date": when, "UserName": f"user{token[1:]}"}

    return make
