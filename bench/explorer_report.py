"""The explorer benchmark's report: one table row per request (p50, p95 and what its page
showed), a verdict per page and search, and the query plan of each one that failed."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from common import say
from report import Verdict

__all__ = ["Request", "Timing", "print_plans", "print_table", "verdicts"]

# The explorer's issue: every page and search answers within this, at the 95th percentile.
P95_TARGET_MS = 300.0


@dataclass(frozen=True)
class Timing:
    """One query of a request: seconds, and its SQL as sent."""

    seconds: float
    sql: str


@dataclass
class Request:
    """One measured request and everything found out about it."""

    name: str
    path: str
    params: dict[str, str]
    # The data set its table shows ("" for a search across the export; None: not a table).
    dataset: str | None
    judged: bool = True  # held to P95_TARGET_MS
    timings: list[float] = field(default_factory=list)  # seconds of each timed run
    errors: list[str] = field(default_factory=list)
    queries: list[Timing] = field(default_factory=list)  # of one run after the timed ones
    rows: int | None = None  # on its page
    matches: int | None = None  # every record its page is a page of

    def percentile_ms(self, share: float) -> float | None:
        """Nearest rank: the smallest time at least `share` of the runs took at most."""
        if not self.timings:
            return None
        ordered = sorted(self.timings)
        return 1000 * ordered[max(0, math.ceil(share * len(ordered)) - 1)]

    @property
    def meets_target(self) -> bool:
        p95 = self.percentile_ms(0.95)
        return p95 is not None and p95 < P95_TARGET_MS and not self.errors

    @property
    def slowest(self) -> Timing | None:
        return max(self.queries, key=lambda query: query.seconds, default=None)


def print_table(requests: list[Request]) -> None:
    say()
    say("ms of the whole request through the test Client (middleware, view, template); p50 and")
    say("p95 by nearest rank over the timed runs; of one more run: its queries, their ms in all")
    say("(SQL) and the slowest one's; rows = rows on the page, matches = every record of the")
    say("table or search")
    say(
        f"{'request':<32} {'runs':>4} {'p50':>8} {'p95':>8} {'min':>8} {'max':>8}"
        f" {'queries':>7} {'SQL':>7} {'slowest':>7} {'rows':>4} {'matches':>9}"
    )
    for request in requests:
        say(table_line(request))
    for request in requests:
        for error in dict.fromkeys(request.errors):
            say(f"error: {request.name}: {error}")


def table_line(request: Request) -> str:
    slowest = request.slowest
    timings = request.timings
    return (
        f"{request.name:<32} {len(timings):>4} {_ms(request.percentile_ms(0.5)):>8}"
        f" {_ms(request.percentile_ms(0.95)):>8}"
        f" {_ms(1000 * min(timings) if timings else None):>8}"
        f" {_ms(1000 * max(timings) if timings else None):>8}"
        f" {len(request.queries):>7}"
        f" {_ms(1000 * sum(query.seconds for query in request.queries)):>7}"
        f" {_ms(slowest and 1000 * slowest.seconds):>7}"
        f" {_count(request.rows):>4} {_count(request.matches):>9}"
    )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def verdicts(requests: list[Request]) -> list[Verdict]:
    """One verdict per judged request (p95 within the target, every run a 200), and one for
    every request's runs and page (explorer.check)."""
    found = []
    for request in requests:
        if request.judged:
            p95 = _ms(request.percentile_ms(0.95))
            text = f"{request.name}: p95 {p95} ms < {P95_TARGET_MS:g} ms"
            found.append(Verdict(request.meets_target, text))
    failed = [request.name for request in requests if request.errors]
    but = f" (not: {', '.join(failed)})" if failed else ""
    found.append(Verdict(not failed, f"every request answered 200 with the rows expected{but}"))
    return found


def print_plans(requests: list[Request], explain: Callable[[str], list[str]]) -> None:
    """For each judged request that missed its target: its slowest query and that query's
    plan, from EXPLAIN (ANALYZE, BUFFERS) run now."""
    for request in requests:
        slowest = request.slowest
        if request.judged and not request.meets_target and slowest is not None:
            say()
            say(f"{request.name}: slowest query, {1000 * slowest.seconds:.1f} ms of its run:")
            say(f"  {slowest.sql}")
            say("EXPLAIN (ANALYZE, BUFFERS):")
            for line in explain(slowest.sql):
                say(f"  {line}")
