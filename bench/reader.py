"""The reader benchmark (`make bench`, after the copy): the product's reader of stored exports
(``exports.reader``) against plain ijson and text loops over the same archive, in the same run.

For each uncompressed size and each format (JSON Gen C, English text) it generates an archive
once with the sandbox's generator (kept in var/bench/) and times, each in a process of its own
(bench/loops.py): the reader counting its records, and the baselines over the same data
(``ijson.parse`` and ``ijson.items`` for JSON, a ``Key: value`` line loop for text). The report
and the targets are in reader_report.py.
"""

from __future__ import annotations

import sys
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from archives import write_archive
from common import KIB, MIB, ROOT, VAR_BENCH, note, say, size_label, size_name
from measure import run_sampled
from reader_report import LoopRun, Row, print_table, print_verdicts, verdicts

if TYPE_CHECKING:
    from tiktok_sandbox.archives import Archive, ArchiveSpec

BENCH = Path(__file__).resolve().parent
DEFAULT_SIZES = "100M,2G"  # uncompressed, as the issue states them
FORMATS = ("json", "text")
# The loops of each format, the reader first; bench/loops.py runs them.
LOOPS = {"json": ("reader", "ijson.parse", "ijson.items"), "text": ("reader", "lines")}
# Rounds of sizing the zip so that its members hold the uncompressed size asked for.
SIZING_ROUNDS = 5


@dataclass(frozen=True)
class ReaderArchive:
    """A generated archive on disk, with its sizes read back from the zip."""

    data_format: str
    target: int  # the uncompressed size asked for
    path: Path
    size: int  # the zip's bytes
    uncompressed: int  # sum(file_size) of its members
    members: int


def reader_spec(data_format: str, zip_size: int) -> ArchiveSpec:
    """The first persona, all data, Gen C (JSON) or the current English tree (text), grown to a
    zip of `zip_size` bytes."""
    from tiktok_sandbox.archives import ArchiveSpec  # noqa: PLC0415 - needs Django set up
    from tiktok_sandbox.layouts import ArchiveLanguage, ArchiveLayout, ArchiveStyle  # noqa: PLC0415
    from tiktok_sandbox.personas import PERSONAS  # noqa: PLC0415

    return ArchiveSpec(
        request_id=2**61 + 7,
        persona=PERSONAS[0],
        data_format=data_format,
        categories=frozenset({"all_data"}),
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        target_size=zip_size,
        style=ArchiveStyle(layout=ArchiveLayout.GEN_C, language=ArchiveLanguage.ENGLISH),
    )


def sized_layout(data_format: str, uncompressed: int) -> Archive:
    """The archive whose members hold `uncompressed` bytes in all (less at most an item or so).

    The generator's target is the zip's size, so the zip's target is scaled by the ratio of zip
    bytes to member bytes until it stops moving. Only the layout is computed, nothing generated:
    the generator knows every member's size in advance."""
    from tiktok_sandbox.archives import build_archive  # noqa: PLC0415 - needs Django set up

    zip_target = uncompressed
    archive = build_archive(reader_spec(data_format, zip_target))
    for _ in range(SIZING_ROUNDS):
        data = sum(entry.size for entry in archive.entries)
        if data == 0:
            break
        better = round(uncompressed * archive.size / data)
        if better == zip_target:
            break
        zip_target = better
        archive = build_archive(reader_spec(data_format, zip_target))
    return archive


def ensure_reader_archive(data_format: str, uncompressed: int) -> ReaderArchive:
    """The archive of `uncompressed` bytes in `data_format` in var/bench/, generated (streamed
    to the file, in constant memory) unless it is there with the zip's exact size."""
    archive = sized_layout(data_format, uncompressed)
    path = VAR_BENCH / f"reader-{data_format}-{size_name(uncompressed)}.zip"
    if not (path.is_file() and path.stat().st_size == archive.size):
        note(f"generating {path.relative_to(ROOT)} ({archive.size} bytes)")
        started = time.perf_counter()
        write_archive(archive.chunks(), path)
        note(f"  generated in {time.perf_counter() - started:.1f} s")
    with zipfile.ZipFile(path) as opened:
        infos = [info for info in opened.infolist() if not info.is_dir()]
    real = sum(info.file_size for info in infos)
    return ReaderArchive(data_format, uncompressed, path, archive.size, real, len(infos))


def run_loop(archive: ReaderArchive, loop: str) -> LoopRun:
    """One run of bench/loops.py; whatever goes wrong becomes the run's error."""
    try:
        return _run_loop(archive, loop)
    except Exception as error:  # reported, and it fails the run
        return LoopRun(error=f"{type(error).__name__}: {error}")


def _run_loop(archive: ReaderArchive, loop: str) -> LoopRun:
    command = [sys.executable, str(BENCH / "loops.py"), str(archive.path), loop]
    result, error, peak = run_sampled(command)
    if error:
        return LoopRun(error=f"loops.py {loop} {error}")
    return LoopRun(
        seconds=float(result["seconds"]),
        cpu_seconds=float(result["cpu_seconds"]),
        count=int(result["count"]),
        watch_history=result["watch_history"],
        peak_mib=int(result["peak_rss_kib"]) / KIB,
        sampled_mib=peak / MIB if peak else None,
    )


def measure_archive(archive: ReaderArchive, repeat: int) -> list[Row]:
    """Every loop of the archive's format, `repeat` times, the loops taking turns."""
    rows = [
        Row(archive.target, archive.data_format, loop, archive.uncompressed)
        for loop in LOOPS[archive.data_format]
    ]
    for attempt in range(1, repeat + 1):
        for row in rows:
            label = f"{size_label(archive.target)} {archive.data_format}, {row.loop}"
            note(f"  {label}: run {attempt} of {repeat}")
            run = run_loop(archive, row.loop)
            note(f"    {run.error or f'{run.seconds:.2f} s'}")
            row.runs.append(run)
    return rows


def describe(archive: ReaderArchive) -> None:
    say(
        f"archive {size_label(archive.target)} {archive.data_format}:"
        f" var/bench/{archive.path.name}, zip {archive.size} bytes, {archive.members} member(s)"
        f" holding {archive.uncompressed} bytes ({archive.uncompressed / MIB:.1f} MiB)"
    )


def print_header(sizes: Iterable[int], repeat: int) -> None:
    import ijson  # noqa: PLC0415 - the children's; imported here only to name its backend

    say(f"reader benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    say(
        f"ijson {ijson.__version__} ({ijson.backend} backend); uncompressed sizes"
        f" {', '.join(size_label(size) for size in sizes)}; {repeat} run(s) of each loop"
    )


def run_reader_bench(sizes: list[int], repeat: int) -> bool:
    """The whole reader benchmark, report included; returns whether every target is met.
    Django must be set up (the sandbox's generator needs it)."""
    print_header(sizes, repeat)
    rows: list[Row] = []
    for size in sizes:
        for data_format in FORMATS:
            archive = ensure_reader_archive(data_format, size)
            describe(archive)
            rows += measure_archive(archive, repeat)
    print_table(rows)
    found = verdicts(rows, sizes)
    print_verdicts(found)
    if len(sizes) == 1:
        say("(RSS flat from the smallest size to the biggest: not checked, one size measured)")
    return all(verdict.passed for verdict in found)
