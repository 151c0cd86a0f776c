"""The benchmark's report: one table row per size and path, then a verdict per target."""

from __future__ import annotations

from dataclasses import dataclass, field

from common import say, size_label
from measure import BASELINE, PRODUCT_PATHS, TO_FILE, Run

# Targets of issue 4, point 4.
RATIO_TARGET = 0.8  # product → file against the baseline
RSS_TARGET_MIB = 150.0  # each product path
RSS_SPREAD = 0.10  # a bigger archive against the smallest


@dataclass
class Row:
    """Every run of one path at one size: the fastest counts for speed, the largest for RSS."""

    size: int
    path: str
    length: int  # the archive's exact size in bytes
    runs: list[Run] = field(default_factory=list)

    @property
    def good(self) -> list[Run]:
        return [run for run in self.runs if not run.error]

    @property
    def fastest(self) -> Run | None:
        return min(self.good, key=lambda run: run.seconds, default=None)

    @property
    def mb_per_s(self) -> float | None:
        fastest = self.fastest
        return None if fastest is None else self.length / fastest.seconds / 1e6

    def largest(self, attribute: str) -> float | None:
        """The largest `attribute` (an RSS) of the good runs, None if none has it."""
        values = [getattr(run, attribute) for run in self.good]
        return max((value for value in values if value is not None), default=None)

    @property
    def peak_mib(self) -> float | None:
        return self.largest("peak_mib")


@dataclass(frozen=True)
class Verdict:
    passed: bool
    text: str


def print_table(rows: list[Row]) -> None:
    say()
    say("MB/s = 10^6 bytes/s; ratio = MB/s against curl | sha256sum; RSS in MiB: peak = the")
    say("fetching process's own (VmHWM, what the targets judge), ru_maxrss = what getrusage")
    say("reports in it (it includes the parent's RSS at spawn), sampled = psutil every 50 ms")
    say(
        f"{'size':>8}  {'path':<17} {'seconds':>8} {'CPU s':>6} {'MB/s':>7} {'ratio':>5}"
        f" {'peak':>6} {'ru_maxrss':>9} {'sampled':>7}  seconds of each run"
    )
    for row in rows:
        say(table_line(row, next(r for r in rows if r.size == row.size and r.path == BASELINE)))
    for row in rows:
        for number, run in enumerate(row.runs, 1):
            if run.error:
                say(f"error: {size_label(row.size)} {row.path}, run {number}: {run.error}")


def table_line(row: Row, baseline: Row) -> str:
    fastest = row.fastest or Run()
    runs = ", ".join(f"{run.seconds:.3f}" if not run.error else "error" for run in row.runs)
    return (
        f"{size_label(row.size):>8}  {row.path:<17}"
        f" {_number(fastest.seconds or None, 3):>8} {_number(fastest.cpu_seconds, 2):>6}"
        f" {_number(row.mb_per_s, 1):>7} {_number(_ratio(row, baseline), 2):>5}"
        f" {_number(row.peak_mib, 1):>6} {_number(row.largest('ru_maxrss_mib'), 1):>9}"
        f" {_number(row.largest('sampled_mib'), 1):>7}  {runs}"
    )


def _ratio(row: Row, baseline: Row) -> float | None:
    if row.path not in PRODUCT_PATHS or row.mb_per_s is None or baseline.mb_per_s is None:
        return None
    return row.mb_per_s / baseline.mb_per_s


def _number(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def verdicts(rows: list[Row], sizes: list[int]) -> list[Verdict]:
    """One verdict per target, for every size and product path, and one for the runs' bytes.
    RSS at a bigger size is held against the smallest size measured (100 MiB by default)."""
    row = {(r.size, r.path): r for r in rows}
    found = [ratio_verdict(row[size, TO_FILE], row[size, BASELINE]) for size in sizes]
    found += [rss_verdict(row[size, path]) for size in sizes for path in PRODUCT_PATHS]
    reference = min(sizes)
    found += [
        spread_verdict(row[size, path], row[reference, path])
        for size in sizes
        if size != reference
        for path in PRODUCT_PATHS
    ]
    failed = [f"{size_label(r.size)} {r.path}" for r in rows if len(r.good) < len(r.runs)]
    but = f" (not: {', '.join(failed)})" if failed else ""
    found.append(Verdict(not failed, f"every run completed with the right bytes{but}"))
    return found


def ratio_verdict(product: Row, baseline: Row) -> Verdict:
    ratio = _ratio(product, baseline)
    text = f"{size_label(product.size)} {product.path}: ratio {_number(ratio, 2)} >= {RATIO_TARGET}"
    return Verdict(ratio is not None and ratio >= RATIO_TARGET, text)


def rss_verdict(product: Row) -> Verdict:
    peak = product.peak_mib
    text = f"{size_label(product.size)} {product.path}: peak RSS {_number(peak, 1)} MiB"
    return Verdict(peak is not None and peak <= RSS_TARGET_MIB, f"{text} <= {RSS_TARGET_MIB:g}")


def spread_verdict(product: Row, reference: Row) -> Verdict:
    peak, base = product.peak_mib, reference.peak_mib
    spread = None if peak is None or not base else (peak - base) / base
    text = (
        f"{size_label(product.size)} {product.path}: peak RSS {_number(peak, 1)} MiB,"
        f" {_number(None if spread is None else spread * 100, 1)} % against"
        f" {_number(base, 1)} MiB at {size_label(reference.size)} (within {RSS_SPREAD:.0%})"
    )
    return Verdict(spread is not None and abs(spread) <= RSS_SPREAD, text)


def print_verdicts(found: list[Verdict]) -> None:
    say()
    for verdict in found:
        say(f"{'PASS' if verdict.passed else 'FAIL'}  {verdict.text}")
