"""The reader benchmark's report: one table row per size, format and loop, then a verdict per
target."""

from __future__ import annotations

from dataclasses import dataclass, field

from common import say, size_label
from report import Verdict, print_verdicts

__all__ = ["LoopRun", "Row", "print_table", "print_verdicts", "verdicts"]

# Targets of the reader's issue.
RSS_TARGET_MIB = 200.0  # the reading process's peak, at every size
FLAT_MARGIN_MIB = 50.0  # a bigger archive's peak against the smallest size's
SPEED_TARGET = 0.5  # the reader's speed as a share of the baseline's (baseline s / reader s)
# The baseline each format's reader is held against.
TARGET_BASELINE = {"json": "ijson.parse", "text": "lines"}
READER = "reader"
WATCH_ITEMS = "ijson.items"
# What each loop counts.
UNITS = {READER: "records", "ijson.parse": "events", WATCH_ITEMS: "items", "lines": "lines"}


@dataclass(frozen=True)
class LoopRun:
    """One run of one loop (bench/loops.py); `error` says why it does not count."""

    seconds: float = 0.0
    cpu_seconds: float | None = None
    count: int = 0  # records, events, items or lines: UNITS
    watch_history: int | None = None  # the reader's watch-history records
    peak_mib: float | None = None  # the process's own peak (VmHWM): what the targets judge
    sampled_mib: float | None = None  # the largest of the parent's psutil samples
    error: str = ""


@dataclass
class Row:
    """Every run of one loop over one archive: the fastest counts for speed, the largest for
    RSS."""

    size: int  # the uncompressed size asked for
    data_format: str
    loop: str
    uncompressed: int  # the archive's member bytes
    runs: list[LoopRun] = field(default_factory=list)

    @property
    def good(self) -> list[LoopRun]:
        return [run for run in self.runs if not run.error]

    @property
    def fastest(self) -> LoopRun | None:
        return min(self.good, key=lambda run: run.seconds, default=None)

    @property
    def seconds(self) -> float | None:
        fastest = self.fastest
        return None if fastest is None else fastest.seconds

    @property
    def count(self) -> int | None:
        fastest = self.fastest
        return None if fastest is None else fastest.count

    def largest(self, attribute: str) -> float | None:
        values = [getattr(run, attribute) for run in self.good]
        return max((value for value in values if value is not None), default=None)

    @property
    def peak_mib(self) -> float | None:
        return self.largest("peak_mib")


def print_table(rows: list[Row]) -> None:
    say()
    say("MB/s = 10^6 uncompressed bytes read per second; per s = the loop's own count per second;")
    say("records/s = the reader's records over the loop's seconds (for a baseline: the reader's")
    say("rate if it cost nothing but that loop); ratio = baseline s / reader s, the reader's")
    say("speed as a share of the baseline's; RSS in MiB: peak = the process's own (VmHWM, what")
    say("the targets judge), sampled = the largest of psutil samples every 50 ms")
    say(
        f"{'size':>8}  {'format':<6} {'loop':<11} {'seconds':>8} {'CPU s':>7} {'MB/s':>6}"
        f" {'counted':>20} {'per s':>10} {'records/s':>10} {'ratio':>5} {'peak':>6} {'sampled':>7}"
        "  seconds of each run"
    )
    for row in rows:
        say(table_line(row, _reader_of(rows, row)))
    for row in rows:
        for number, run in enumerate(row.runs, 1):
            if run.error:
                label = f"{size_label(row.size)} {row.data_format} {row.loop}"
                say(f"error: {label}, run {number}: {run.error}")


def table_line(row: Row, reader: Row) -> str:
    fastest = row.fastest or LoopRun()
    seconds = row.seconds
    counted = "-" if row.count is None else f"{row.count:,} {UNITS[row.loop]}"
    runs = ", ".join(f"{run.seconds:.2f}" if not run.error else "error" for run in row.runs)
    return (
        f"{size_label(row.size):>8}  {row.data_format:<6} {row.loop:<11}"
        f" {_number(seconds, 2):>8} {_number(fastest.cpu_seconds, 2):>7}"
        f" {_number(_per_second(row.uncompressed / 1e6, seconds), 1):>6} {counted:>20}"
        f" {_number(_per_second(row.count, seconds), 0, ','):>10}"
        f" {_number(_per_second(reader.count, seconds), 0, ','):>10}"
        f" {_number(None if row is reader else _times(reader, row), 3):>5}"
        f" {_number(row.peak_mib, 1):>6} {_number(row.largest('sampled_mib'), 1):>7}  {runs}"
    )


def _reader_of(rows: list[Row], row: Row) -> Row:
    return next(
        r for r in rows if (r.size, r.data_format, r.loop) == (row.size, row.data_format, READER)
    )


def _per_second(amount: float | None, seconds: float | None) -> float | None:
    return None if amount is None or not seconds else amount / seconds


def _times(reader: Row, baseline: Row) -> float | None:
    """The reader's speed as a share of the baseline's: baseline seconds / reader seconds."""
    if reader.seconds is None or baseline.seconds is None:
        return None
    return baseline.seconds / reader.seconds


def _number(value: float | None, digits: int, grouping: str = "") -> str:
    return "-" if value is None else f"{value:{grouping}.{digits}f}"


def verdicts(rows: list[Row], sizes: list[int]) -> list[Verdict]:
    """One verdict per target and archive, and one for the runs themselves. RSS at a bigger
    size is held against the smallest size measured (100 MiB by default)."""
    row = {(r.size, r.data_format, r.loop): r for r in rows}
    formats = list(dict.fromkeys(r.data_format for r in rows))
    found = [rss_verdict(row[size, fmt, READER]) for size in sizes for fmt in formats]
    reference = min(sizes)
    found += [
        flat_verdict(row[size, fmt, READER], row[reference, fmt, READER])
        for fmt in formats
        for size in sizes
        if size != reference
    ]
    found += [
        speed_verdict(row[size, fmt, READER], row[size, fmt, TARGET_BASELINE[fmt]])
        for size in sizes
        for fmt in formats
    ]
    found.append(runs_verdict(rows))
    return found


def rss_verdict(reader: Row) -> Verdict:
    peak = reader.peak_mib
    text = f"{size_label(reader.size)} {reader.data_format} reader: peak RSS {_number(peak, 1)} MiB"
    return Verdict(peak is not None and peak <= RSS_TARGET_MIB, f"{text} <= {RSS_TARGET_MIB:g}")


def flat_verdict(reader: Row, reference: Row) -> Verdict:
    peak, base = reader.peak_mib, reference.peak_mib
    text = (
        f"{size_label(reader.size)} {reader.data_format} reader: peak RSS {_number(peak, 1)} MiB"
        f" <= {_number(base, 1)} MiB at {size_label(reference.size)} + {FLAT_MARGIN_MIB:g}"
    )
    passed = peak is not None and base is not None and peak <= base + FLAT_MARGIN_MIB
    return Verdict(passed, text)


def speed_verdict(reader: Row, baseline: Row) -> Verdict:
    times = _times(reader, baseline)
    text = (
        f"{size_label(reader.size)} {reader.data_format} reader: ratio {_number(times, 3)}"
        f" to {baseline.loop} (baseline s / reader s) >= {SPEED_TARGET}"
    )
    return Verdict(times is not None and times >= SPEED_TARGET, text)


def runs_verdict(rows: list[Row]) -> Verdict:
    """Every run completed; the reader found as many watch-history records as ijson.items
    found items (JSON)."""
    problems = [
        f"{size_label(r.size)} {r.data_format} {r.loop} failed"
        for r in rows
        if len(r.good) < len(r.runs)
    ]
    for items in (r for r in rows if r.loop == WATCH_ITEMS and r.count is not None):
        reader = _reader_of(rows, items)
        watched = {run.watch_history for run in reader.good}
        if watched and watched != {items.count}:
            problems.append(
                f"{size_label(items.size)} json: the reader's watch history"
                f" {sorted(watched)} against {items.count} ijson items"
            )
    but = f" (not: {'; '.join(problems)})" if problems else ""
    text = f"every run completed; the reader's watch history = ijson.items' count{but}"
    return Verdict(not problems, text)
