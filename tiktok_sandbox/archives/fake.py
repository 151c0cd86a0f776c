"""Seeded fake values for the archives: ids, links, names, times and words, all synthetic.

One ``Fake`` per data set of an archive, seeded from the request id and the data set's name, so
the same request always gets the same values. Nothing here is anyone's real data.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

ADJECTIVES = (
    "amber", "brave", "calm", "dizzy", "eager", "fuzzy", "golden", "happy", "icy", "jolly",
    "lucky", "mellow", "nimble", "odd", "proud", "quiet", "rapid", "sunny", "tidy", "witty",
)  # fmt: skip
NOUNS = (
    "otter", "falcon", "maple", "comet", "pixel", "lotus", "cactus", "harbor", "meadow", "ember",
    "walrus", "pepper", "canyon", "violet", "badger", "tulip", "rocket", "willow", "koala", "fig",
)  # fmt: skip
TOPICS = (
    "sourdough starter", "flamenco basics", "budget travel", "book haul", "street food",
    "morning routine", "cat compilation", "guitar cover", "hiking trail", "skincare routine",
    "football skills", "easy pasta", "thrift flip", "desk setup", "language learning",
    "dance challenge", "coffee art", "plant care", "magic trick", "sunset timelapse",
)  # fmt: skip
PHRASES = (
    "this made my day", "no way", "tutorial please", "where is this place?", "so relaxing",
    "I tried this and it worked", "the ending!", "saving this for later", "love the music",
    "how long did this take?", "iconic", "need part 2", "so true", "adding this to my list",
)  # fmt: skip
DEVICES = (
    ("iPhone14,5", "iOS 17.5.1"), ("iPhone15,2", "iOS 18.1"), ("SM-S918B", "Android 14"),
    ("Pixel 8", "Android 15"), ("M2101K6G", "Android 13"), ("Windows", "Windows 11"),
)  # fmt: skip
CARRIERS = ("Vodafone", "Orange", "Telefonica", "O2", "T-Mobile", "EE", "")
NETWORKS = ("Wi-Fi", "4G", "5G")
SHARE_METHODS = ("chat_merge", "whatsapp", "copy", "instagram_story")


class Fake:
    """A source of synthetic values, deterministic for a given seed and anchor time.

    ``anchor`` is the moment the export was made; every date lies before it.
    """

    def __init__(self, seed: int | str, anchor: datetime) -> None:
        # Not for security: the same seed must give the same archive.
        self.rng = random.Random(seed)  # noqa: S311
        self.anchor = anchor.replace(microsecond=0, tzinfo=None)

    def digits(self, count: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(count))

    def video_id(self) -> str:
        """A 19-digit id as TikTok's current video ids are (they start with 7)."""
        return "7" + self.digits(18)

    def pick[T](self, items: tuple[T, ...] | list[T]) -> T:
        return self.rng.choice(items)

    def username(self) -> str:
        return f"{self.pick(ADJECTIVES)}.{self.pick(NOUNS)}{self.rng.randrange(10, 1000)}"

    def topic(self) -> str:
        return self.pick(TOPICS)

    def title(self) -> str:
        topic = self.topic()
        return self.pick((f"{topic} #fyp", f"My {topic}", f"{topic} part {self.rng.randint(2, 9)}"))

    def phrase(self) -> str:
        return self.pick(PHRASES)

    def hex(self, count: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(count))

    def uuid(self) -> str:
        value = self.hex(32).upper()
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"

    def ip(self) -> str:
        # Documentation ranges only (RFC 5737): never a real address.
        prefix = self.pick(("192.0.2", "198.51.100", "203.0.113"))
        return f"{prefix}.{self.rng.randrange(1, 255)}"

    def device(self) -> tuple[str, str]:
        return self.pick(DEVICES)

    def video_link(self) -> str:
        return share_link(self.video_id())

    def times(self, count: int, *, days: int, before_days: int = 0) -> list[datetime]:
        """``count`` moments, newest first, spread over ``days`` days ending ``before_days``
        days before the anchor."""
        end = self.anchor - timedelta(days=before_days)
        span = max(1, days * 86400)
        offsets = sorted(self.rng.randrange(span) for _ in range(count))
        return [end - timedelta(seconds=offset) for offset in offsets]

    def stamps(self, count: int, *, days: int, before_days: int = 0) -> list[str]:
        """Like ``times``, spelled as TikTok's dates: ``YYYY-MM-DD HH:MM:SS``."""
        return [stamp(moment) for moment in self.times(count, days=days, before_days=before_days)]


def stamp(moment: datetime) -> str:
    """TikTok's date spelling: ``YYYY-MM-DD HH:MM:SS``, UTC with no zone."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def share_link(video_id: str) -> str:
    return f"https://www.tiktokv.com/share/video/{video_id}/"
