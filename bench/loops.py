"""The loops the reader benchmark times, each in a process of its own so that its peak RSS is
its own.

    python bench/loops.py ARCHIVE LOOP

LOOP is one of:

- ``reader``: the product's reader, ``for record in read_archive(file).records(): n += 1``;
- ``ijson.parse``: ``for prefix, event, value in ijson.parse(member): pass`` over the JSON data
  file, the JSON baseline;
- ``ijson.items``: ``ijson.items(member, WATCH_HISTORY_ITEMS)``, counting the watch history's
  items, a second JSON reference;
- ``lines``: every ``.txt`` member read line by line through ``io.TextIOWrapper``, each line
  split into ``Key: value``, the text baseline.

Only the standard library, ijson and (for ``reader``) ``exports.reader``, which needs no Django.
The clock runs from opening the archive to the end of the loop; imports are done before it
starts. Prints one JSON line: seconds, cpu_seconds (user + system, over the same span), count
(records, events, items or lines), watch_history (the reader's watch-history records, from its
sections; null for the others) and peak_rss_kib (VmHWM: this process image's own peak RSS).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import ijson
from common import cpu_seconds, own_peak_rss_kib

ROOT = Path(__file__).resolve().parents[1]
# Where Gen C keeps the watch history (tiktok-archive-layouts.md), in ijson's prefix syntax.
WATCH_HISTORY_ITEMS = "Your Activity.Watch History.VideoList.item"
WATCH_HISTORY_DATASET = "watch_history"

Counted = tuple[int, int | None]  # (count, the reader's watch-history records or None)


def read_with_reader(path: Path) -> Counted:
    """The product's reader, records counted and nothing else done with them."""
    from exports.reader import read_archive  # noqa: PLC0415 - imported by main, off the clock

    count = 0
    with path.open("rb") as file:
        reading = read_archive(file)
        for _record in reading.records():
            count += 1
    watched = sum(s.items for s in reading.sections if s.dataset == WATCH_HISTORY_DATASET)
    return count, watched


def parse_events(path: Path) -> Counted:
    """The plain ijson loop: every event of the JSON data file, nothing done with it."""
    count = 0
    with zipfile.ZipFile(path) as archive, archive.open(json_member(archive)) as member:
        for _prefix, _event, _value in ijson.parse(member):
            count += 1
    return count, None


def watch_history_items(path: Path) -> Counted:
    """ijson building each watch-history item (a dict) and nothing else."""
    count = 0
    with zipfile.ZipFile(path) as archive, archive.open(json_member(archive)) as member:
        for _item in ijson.items(member, WATCH_HISTORY_ITEMS):
            count += 1
    return count, None


def text_lines(path: Path) -> Counted:
    """The text baseline: every line of every .txt member, split at its first ': '."""
    count = 0
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.filename.lower().endswith(".txt"):
                continue
            with archive.open(info) as raw:
                for line in io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace"):
                    _key, _colon, _value = line.rstrip("\r\n").partition(": ")
                    count += 1
    return count, None


def json_member(archive: zipfile.ZipFile) -> str:
    """The JSON data file: the archive's only .json member."""
    names = [name for name in archive.namelist() if name.lower().endswith(".json")]
    if len(names) != 1:
        raise SystemExit(f"expected one .json member, found {names}")
    return names[0]


LOOPS: dict[str, Callable[[Path], Counted]] = {
    "reader": read_with_reader,
    "ijson.parse": parse_events,
    "ijson.items": watch_history_items,
    "lines": text_lines,
}


def import_reader() -> None:
    """Imports the product's reader (only its loop needs the project), so that the clock does
    not count the import."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import exports.reader  # noqa: F401, PLC0415


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("loop", choices=LOOPS)
    args = parser.parse_args()
    if args.loop == "reader":
        import_reader()
    cpu = cpu_seconds()
    started = time.perf_counter()
    count, watched = LOOPS[args.loop](args.archive)
    result = {"seconds": time.perf_counter() - started, "cpu_seconds": cpu_seconds() - cpu}
    result |= {"count": count, "watch_history": watched, "peak_rss_kib": own_peak_rss_kib()}
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
