"""The filler that grows an archive to a requested size, fast and in constant memory.

Rendering items one by one in Python runs at a few MB/s; an archive of several GB needs more
than a hundred times that. So the items are rendered once, into a block of about ``BLOCK_BYTES``
whose dates and ids carry fixed-width placeholders, and every block sent is that template with
the placeholders replaced (two ``bytes.replace``, which run at memory speed). Block ``k`` gets
its own 4-digit serial in every id, so no two items of the filler are alike (up to 10,000
blocks, about 10 GB), and a date one day before the block above it; past ``MAX_SPAN_DAYS``
blocks (about 1 GB) the days are shared out over three years, so several blocks share a day and
the dates are then only roughly in order. The last block may be cut at an item boundary, so the
filler's size can be anything to within one item.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta

from tiktok_sandbox.archives.fake import Fake
from tiktok_sandbox.archives.items import Item, ItemMaker

BLOCK_BYTES = 1 << 20
DATE_MARK = b"@@@@@@@@@@"  # YYYY-MM-DD of the block
SERIAL_MARK = b"####"  # the block's serial, 0000-9999, inside every id
MAX_SPAN_DAYS = 3 * 365  # the filler's dates go back at most three years before the natural data

Render = Callable[[Item], str]


@dataclass(frozen=True)
class Filler:
    """``count`` items appended to a list: blocks of ``template`` with their own days and ids.

    ``offsets[i]`` is the byte length of the template's first ``i`` items; the template holds
    ``len(offsets) - 1`` items. Day of block ``k``: ``newest_day`` minus up to ``MAX_SPAN_DAYS``.
    """

    template: bytes
    offsets: tuple[int, ...]
    newest_day: date
    count: int = 0

    @property
    def per_block(self) -> int:
        return len(self.offsets) - 1

    @property
    def size(self) -> int:
        """The filler's exact size in bytes."""
        return self.bytes_for(self.count)

    def bytes_for(self, count: int) -> int:
        """The size in bytes of ``count`` items of this filler."""
        full, rest = divmod(count, self.per_block)
        return full * len(self.template) + self.offsets[rest]

    def most_within(self, budget: int) -> int:
        """The most items whose bytes do not exceed ``budget``."""
        if budget <= 0:
            return 0
        full, left = divmod(budget, len(self.template))
        return full * self.per_block + bisect_right(self.offsets, left) - 1

    def with_count(self, count: int) -> Filler:
        return replace(self, count=count)

    def chunks(self) -> Iterator[bytes]:
        """The filler's bytes, one block (about ``BLOCK_BYTES``) at a time."""
        full, rest = divmod(self.count, self.per_block)
        blocks = full + (1 if rest else 0)
        span = min(blocks, MAX_SPAN_DAYS)
        for serial in range(blocks):
            end = self.offsets[rest] if serial == full else len(self.template)
            day = self.newest_day - timedelta(days=serial * span // blocks)
            block = self.template[:end] if end < len(self.template) else self.template
            yield block.replace(DATE_MARK, day.isoformat().encode()).replace(
                SERIAL_MARK, b"%04d" % (serial % 10_000)
            )


def build_filler(fake: Fake, make_item: ItemMaker, render: Render, newest_day: date) -> Filler:
    """Render the template: items from ``make_item``, each through ``render`` (which adds the
    separator that precedes it), with times counting down through one day."""
    sample = len(render(_item(fake, make_item, 0, 1)).encode())
    per_block = max(1, BLOCK_BYTES // sample)
    pieces = [render(_item(fake, make_item, i, per_block)).encode() for i in range(per_block)]
    offsets = [0]
    for piece in pieces:
        offsets.append(offsets[-1] + len(piece))
    return Filler(template=b"".join(pieces), offsets=tuple(offsets), newest_day=newest_day)


def _item(fake: Fake, make_item: ItemMaker, index: int, per_block: int) -> Item:
    seconds = 86_399 - index * 86_400 // per_block
    hours, rest = divmod(seconds, 3600)
    when = f"{DATE_MARK.decode()} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    video_id = "7" + SERIAL_MARK.decode() + fake.digits(14)
    return make_item(when, video_id)
