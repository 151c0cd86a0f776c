"""What goes into an archive: the document of the requested categories in the layout's JSON
generation, written as ``user_data_tiktok.json`` (once, or twice in a row) or as the ``.txt``
files of a text tree, with room for a filler in its biggest list.

A ``File`` is the bytes before the filler, the filler (if it is the file that grows) and the
bytes after it; so its size is known, and its bytes produced, without rendering the filler.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from tiktok_sandbox.archives import account, activity
from tiktok_sandbox.archives.fake import Fake
from tiktok_sandbox.archives.filler import Filler, build_filler
from tiktok_sandbox.archives.generations import GENERATIONS, Generation, Path, value_at
from tiktok_sandbox.archives.items import (
    Context,
    ItemMaker,
    message_maker,
    post_maker,
    user_maker,
    watch_maker,
)
from tiktok_sandbox.archives.trees import CHATS, TextFile, Tree, tree_for
from tiktok_sandbox.archives.zipstream import Entry
from tiktok_sandbox.layouts import ArchiveStyle
from tiktok_sandbox.personas import Persona

JSON_NAME = "user_data_tiktok.json"
# The lists that may grow, biggest first: the first one the archive holds (not empty) grows.
GROWTH_ORDER = ("watch", "posts", CHATS, "following")
_SENTINEL = "<sandbox filler>"


@dataclass(frozen=True)
class Growth:
    """The list a sized archive grows: its data set, where it is, how its items are made, and
    how many days its natural items span (the filler's dates come before)."""

    data_set: str
    path: Path
    make_item: ItemMaker
    days: int
    fake: Fake

    def filler_day(self) -> date:
        return (self.fake.anchor - timedelta(days=self.days + 1)).date()


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
    style: ArchiveStyle,
    counts: Mapping[str, int],
    grow: bool,
) -> list[File]:
    """The archive's files: the document of ``categories`` in ``data_format`` and ``style``.

    With ``grow``, the file holding the biggest list carries an (empty) filler to be sized;
    no file does if the archive holds no list that can grow (a Dutch text export of posts
    only, say). Deterministic for the same arguments.
    """
    ctx = Context(seed, anchor, persona, counts)
    generation = GENERATIONS[style.layout.generation]
    document = generation.document(ctx, categories, unknown_section=style.unknown_section)
    if data_format == "json":
        growth = _growth(ctx, generation, document, GROWTH_ORDER) if grow else None
        return [_json_file(document, growth, doubled=style.layout.doubled)]
    tree = tree_for(style.layout, style.language)
    present = [file for file in tree.files if generation.locate(document, file.data_set)]
    candidates = {file.data_set for file in present}
    growth = _growth(ctx, generation, document, candidates) if grow else None
    return [_text_file(document, generation, tree, file, growth) for file in present]


def _growth(
    ctx: Context, generation: Generation, document: dict[str, Any], candidates: Iterable[str]
) -> Growth | None:
    """The list of ``document`` that grows: the first of GROWTH_ORDER among ``candidates``
    that the document holds with an item in it (the filler is laid out after an item)."""
    allowed = set(candidates)
    for name in GROWTH_ORDER:
        path = _growable_path(generation, document, name) if name in allowed else None
        if path is None:
            continue
        return _growth_of(ctx, generation, name, path)
    return None


def _growth_of(ctx: Context, generation: Generation, name: str, path: Path) -> Growth:
    """How the list of ``name`` at ``path`` grows: its items spelled as its generation does."""
    fake = ctx.fake("filler")
    maker, days = _maker(ctx, fake, name, path)
    shape = generation.shape(name)
    return Growth(name, path, lambda when, token: shape(maker(when, token)), days, fake)


def _growable_path(generation: Generation, document: dict[str, Any], name: str) -> Path | None:
    """Where the list of ``name`` that would grow is (of chats: the first), if not empty."""
    path = generation.locate(document, name)
    if path is not None and name == CHATS:
        chats = value_at(document, path)
        path = (*path, next(iter(chats))) if chats else None
    return path if path is not None and value_at(document, path) else None


def _maker(ctx: Context, fake: Fake, data_set: str, path: Path) -> tuple[ItemMaker, int]:
    """The maker of ``data_set``'s items in their Gen C spelling, and the days they span."""
    if data_set == "watch":
        return watch_maker(fake), activity.WATCH_DAYS
    if data_set == "posts":
        return post_maker(fake, ctx.persona.username), account.POST_DAYS
    if data_set == CHATS:
        peer = account.chat_peer(path[-1])
        return message_maker(fake, ctx.persona.username, peer), account.MESSAGE_DAYS
    return user_maker(), account.FOLLOW_DAYS


def _json_file(document: dict[str, Any], growth: Growth | None, *, doubled: bool) -> File:
    # Doubled: the same document again after the first, the way some real exports hold their
    # whole content twice. The second copy is the document without the filler.
    again = "\n" + _dumps(document) if doubled else ""
    if growth is None:
        return File(JSON_NAME, (_dumps(document) + again).encode())
    items = value_at(document, growth.path)
    items.append(_SENTINEL)
    rendered = _dumps(document)
    items.pop()
    # The sentinel follows the list's last item: the filler's items go where it stands, each
    # after a comma and indented like the items before it.
    found = re.search(r",\n( *)" + re.escape(json.dumps(_SENTINEL)), rendered)
    if found is None:  # _growth never picks an empty list
        raise RuntimeError(f"{growth.path} cannot grow: it is empty")
    indent = found.group(1)

    def render(item: dict[str, Any]) -> str:
        return ",\n" + indent + _dumps(item).replace("\n", "\n" + indent)

    filler = build_filler(growth.fake, growth.make_item, render, growth.filler_day())
    head, tail = rendered[: found.start()], rendered[found.end() :]
    return File(JSON_NAME, head.encode(), (tail + again).encode(), filler)


def _text_file(
    document: dict[str, Any],
    generation: Generation,
    tree: Tree,
    file: TextFile,
    growth: Growth | None,
) -> File:
    writer = tree.writer(file)
    value = value_at(document, generation.paths[file.data_set])
    head, tail = writer.chats(value) if file.data_set == CHATS else writer.section(value)
    if growth is None or growth.data_set != file.data_set:
        return File(tree.name(file), (head + tail).encode())
    filler = build_filler(growth.fake, growth.make_item, writer.renderer(), growth.filler_day())
    return File(tree.name(file), head.encode(), tail.encode(), filler)


def _dumps(value: Any) -> str:
    # Indented like TikTok's own files, and UTF-8 rather than \u escapes.
    return json.dumps(value, ensure_ascii=False, indent=2)
