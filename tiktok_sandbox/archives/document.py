"""What goes into an archive: the JSON document of the requested categories, laid out as
``user_data_tiktok.json`` or as ``.txt`` files, with room for a filler in its biggest list.

A ``File`` is the bytes before the filler, the filler (if it is the file that grows) and the
bytes after it; so its size is known, and its bytes produced, without rendering the filler.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from tiktok_sandbox.archives import account, activity, text
from tiktok_sandbox.archives.fake import Fake
from tiktok_sandbox.archives.filler import Filler, build_filler
from tiktok_sandbox.archives.items import (
    Context,
    ItemMaker,
    message_maker,
    post_maker,
    user_maker,
    watch_maker,
)
from tiktok_sandbox.archives.zipstream import Entry
from tiktok_sandbox.personas import Persona

JSON_NAME = "user_data_tiktok.json"
# Category -> its top-level keys; all_data brings every one of BUILDERS, in TikTok's order.
CATEGORY_KEYS: dict[str, tuple[str, ...]] = {
    "activity": ("Comment", "Likes and Favorites", "Your Activity"),
    "video": ("Post",),
    "profile": ("Profile And Settings",),
    "direct_message": ("Direct Message",),
}
BUILDERS = {
    "Comment": activity.comment,
    "Direct Message": account.direct_message,
    "Income+ Wallet": account.income_wallet,
    "Likes and Favorites": activity.likes_and_favorites,
    "Location Review": account.location_review,
    "Post": account.post,
    "Profile And Settings": account.profile_and_settings,
    "TikTok Live": account.tiktok_live,
    "TikTok Shop": account.tiktok_shop,
    "Your Activity": activity.your_activity,
}
_SENTINEL = "<sandbox filler>"


@dataclass(frozen=True)
class Growth:
    """The list a sized archive grows: where it is, how its items are made, and how many days
    its natural items span (the filler's dates come before)."""

    path: tuple[str, ...]
    make_item: ItemMaker
    days: int


@dataclass(frozen=True)
class File:
    """One file of the archive: ``head``, then the filler if any, then ``tail``."""

    name: str
    head: bytes
    tail: bytes = b""
    filler: Filler | None = None

    def entry(self) -> Entry:
        """The file as a zip entry of known size."""
        size = len(self.head) + len(self.tail) + (self.filler.size if self.filler else 0)
        return Entry(self.name, size, self._chunks)

    def with_filler_count(self, count: int) -> File:
        return replace(self, filler=self.filler.with_count(count)) if self.filler else self

    def _chunks(self) -> Iterator[bytes]:
        yield self.head
        if self.filler is not None:
            yield from self.filler.chunks()
        if self.tail:
            yield self.tail


def lay_out(
    *,
    seed: int,
    anchor: datetime,
    persona: Persona,
    categories: frozenset[str],
    data_format: str,
    counts: Mapping[str, int],
    grow: bool,
) -> list[File]:
    """The archive's files: the document of ``categories`` in ``data_format``.

    With ``grow``, the file holding the biggest list carries an (empty) filler to be sized.
    Deterministic for the same arguments.
    """
    fake = Fake(seed, anchor)
    ctx = Context(fake, persona, counts)
    document = build_document(ctx, categories)
    growth = growth_for(ctx, document) if grow else None
    if data_format == "json":
        return [_json_file(document, growth, fake)]
    return _text_files(document, growth, fake)


def build_document(ctx: Context, categories: frozenset[str]) -> dict[str, Any]:
    """The JSON document of ``categories`` (``all_data``: every key), in TikTok's key order."""
    wanted = set(BUILDERS)
    if "all_data" not in categories:
        wanted = {key for category in categories for key in CATEGORY_KEYS[category]}
    return {key: build(ctx) for key, build in BUILDERS.items() if key in wanted}


def growth_for(ctx: Context, document: dict[str, Any]) -> Growth:
    """The biggest list of ``document``: watch history, else posts, messages, followings."""
    if "Your Activity" in document:
        path = ("Your Activity", "Watch History", "VideoList")
        return Growth(path, watch_maker(ctx), activity.WATCH_DAYS)
    if "Post" in document:
        return Growth(("Post", "Posts", "VideoList"), post_maker(ctx), account.POST_DAYS)
    if "Direct Message" in document:
        chat = next(iter(text.value_at(document, text.CHATS)))
        peer = chat.removeprefix("Chat History with ").removesuffix(":")
        maker = message_maker(ctx, peer)
        return Growth((*text.CHATS, chat), maker, account.MESSAGE_DAYS)
    path = ("Profile And Settings", "Following", "Following")
    return Growth(path, user_maker(), account.FOLLOW_DAYS)


def _json_file(document: dict[str, Any], growth: Growth | None, fake: Fake) -> File:
    if growth is None:
        return File(JSON_NAME, _dumps(document).encode())
    items = text.value_at(document, growth.path)
    items.append(_SENTINEL)
    rendered = _dumps(document)
    items.pop()
    # The sentinel follows the list's last item: the filler's items go where it stands, each
    # after a comma and indented like the items before it.
    found = re.search(r",\n( *)" + re.escape(json.dumps(_SENTINEL)), rendered)
    if found is None:  # the grown list has no natural item: the makers never allow that
        raise RuntimeError(f"{growth.path} cannot grow: it is empty")
    indent = found.group(1)

    def render(item: dict[str, Any]) -> str:
        return ",\n" + indent + _dumps(item).replace("\n", "\n" + indent)

    filler = build_filler(fake, growth.make_item, render, _filler_day(fake, growth))
    head, tail = rendered[: found.start()], rendered[found.end() :]
    return File(JSON_NAME, head.encode(), tail.encode(), filler)


def _text_files(document: dict[str, Any], growth: Growth | None, fake: Fake) -> list[File]:
    files = []
    for name, path in text.files(document):
        records, end = text.render_section(text.value_at(document, path))
        if growth is not None and path == growth.path:
            day = _filler_day(fake, growth)
            filler = build_filler(fake, growth.make_item, text.renderer(), day)
            files.append(File(name, records.encode(), end.encode(), filler))
        else:
            files.append(File(name, (records + end).encode()))
    return files


def _filler_day(fake: Fake, growth: Growth) -> date:
    return (fake.anchor - timedelta(days=growth.days + 1)).date()


def _dumps(value: Any) -> str:
    # Indented like TikTok's own files, and UTF-8 rather than \u escapes.
    return json.dumps(value, ensure_ascii=False, indent=2)
