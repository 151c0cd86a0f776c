"""The reading as a stream: the same archive always gives the same records in the same order,
and memory stays flat whatever the size of the data file."""

from __future__ import annotations

import datetime as dt
import gc
import io
import tracemalloc

from exports.reader import ArchiveReading, read_archive
from tests.reader.archives import joined, read, read_json, text_zip, zip_of
from tests.reader.documents import ENGLISH_2024, gen_a, gen_c

WATCH_ITEMS = 200_000


def test_the_same_json_archive_read_twice_gives_the_same_records_in_the_same_order() -> None:
    _, first = read_json(gen_c())
    _, second = read_json(gen_c())

    assert first == second
    assert len(first) > 30


def test_one_reading_read_twice_gives_the_same_records() -> None:
    reading, first = read_json(gen_a())

    assert list(reading.records()) == first


def test_the_same_text_archive_read_twice_gives_the_same_records_in_the_same_order() -> None:
    _, first = read(text_zip(ENGLISH_2024))
    _, second = read(text_zip(dict(reversed(list(ENGLISH_2024.items())))))

    assert first == second
    # Files are read in the order of their names, whatever their order in the zip.
    assert [r.dataset for r in first][:3] == ["watch_history", "watch_history", "comments"]


def big_zip(path: tuple[str, str, str], items: int) -> tuple[bytes, int]:
    """A zip whose JSON data file holds `items` watch items at `path`: a list, or for a path
    ending in `Map` a map of them keyed by number. Returns (the zip, the data file's size)."""
    rows = [
        f'{{"Date": "2025-{1 + n % 12:02d}-{1 + n % 28:02d} {n % 24:02d}:{n % 60:02d}:00", '
        f'"Link": "https://www.tiktokv.com/share/video/{7300000000000000000 + n}/"}}'
        for n in range(items)
    ]
    if path[-1].endswith("Map"):
        value = "{" + ",".join(f'"{n}": {row}' for n, row in enumerate(rows)) + "}"
    else:
        value = "[" + ",".join(rows) + "]"
    top, middle, last = path
    text = f'{{"{top}": {{"{middle}": {{"{last}": {value}}}}}}}'
    return zip_of({"user_data_tiktok.json": text}).getvalue(), len(text)


def read_measured(data: bytes) -> tuple[ArchiveReading, int, dt.datetime | None, int]:
    """(the reading, how many records it gave, the last one's moment, the peak of memory
    allocated while reading): records are counted as they come, never kept."""
    gc.collect()
    tracemalloc.start()
    try:
        reading = read_archive(io.BytesIO(data))
        seen, last = 0, None
        for record in reading.records():
            seen += 1
            last = record.occurred_at
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return reading, seen, last, peak


def test_reading_a_big_watch_history_keeps_memory_far_below_the_files_size() -> None:
    data, size = big_zip(("Your Activity", "Watch History", "VideoList"), WATCH_ITEMS)

    reading, seen, last, peak = read_measured(data)

    assert seen == WATCH_ITEMS
    assert last == dt.datetime(2025, 8, 24, 7, 19, tzinfo=dt.UTC)
    assert reading.bytes_read == size
    assert peak < size / 5, f"peak {peak:,} B for a {size:,} B file"


def test_counting_a_big_unknown_map_keeps_memory_far_below_the_files_size() -> None:
    path = ("Your Activity", "New Feature", "NewFeatureMap")
    data, size = big_zip(path, WATCH_ITEMS // 2)

    reading, seen, _, peak = read_measured(data)

    assert seen == 0
    assert [(s.path, s.items) for s in reading.sections.unrecognized()] == [(joined(*path), 1)]
    assert peak < size / 5, f"peak {peak:,} B for a {size:,} B file"
