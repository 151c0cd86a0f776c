"""The explorer benchmark (`make bench`, after the reader): how long the archive explorer's pages
and searches take over one export of 1.45 M records.

It makes a database of its own (EXPLORER_ENVIRONMENT: dropped and created afresh, migrated),
one person, one READY export with a DONE reading and its records, written with COPY in the
columns `exports.services.reading._RecordWriter` writes, then ANALYZE. Then it asks for each
page through Django's test Client, signed in (`force_login`): the real middleware, views and
templates, without HTTP. Each request runs WARMUPS times, then RUNS times timed; the report
(explorer_report.py) gives p50 and p95 and holds pages and searches to p95 < 300 ms.

The database is left in place after the run, to look at with psql; the next run replaces it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from common import note, say
from explorer_report import Request, Timing, print_plans, print_table, verdicts
from report import print_verdicts

DATABASE = "portability_bench_explorer"
# Set before Django reads its settings (bench/run.py). Redis DB 13 is the benchmark's alone.
EXPLORER_ENVIRONMENT = {
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    "CACHE_URL": "rediscache://127.0.0.1:6379/13",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/13",
}
WARMUPS = 3
RUNS = 30
# A cold overview computes everything again (seconds, not milliseconds): fewer runs.
COLD_WARMUPS, COLD_RUNS = 1, 5
# Records of each data set: a million watched videos, and the next biggest lists.
COUNTS = {
    "watch_history": 1_000_000,
    "searches": 200_000,
    "comments": 100_000,
    "direct_messages": 50_000,
    "followers": 50_000,
}
SECTIONS = {
    "watch_history": "Your Activity › Watch History › VideoList",
    "searches": "Your Activity › Searches › SearchList",
    "comments": "Comment › Comments › CommentsList",
    "direct_messages": "Direct Messages › Chat History › ChatHistory",
    "followers": "Your Activity › Follower › FansList",
}
END = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)  # the export's moment; records span 5 years
SPAN_SECONDS = 5 * 365 * 86400
# Search terms with a known number of hits: RARE is planted in a few records, NOTHING in none,
# COMMON is a word of the generated titles and searches.
RARE, COMMON, NOTHING = "axolotl", "cat", "qwertyuiop"
# Two more: a term of search terms only (MODIFIERS), looked for in the watch history, and a
# word of every TikTok link, which every watched video, comment and like holds.
ELSEWHERE, EVERYWHERE = "for beginners", "video"
RARE_SEARCHES = ("axolotl care", "baby axolotl", "axolotl tank setup")
RARE_COMMENT = "my axolotl does this every morning"
DEEP = 500_000  # the deep page starts after the record this many rows from the newest
PERIOD = ("2024-03-01", "2024-05-31")  # the table with a date range: three months
SEED = 20261201
# Hours of the day, as weights: people watch in the evening, little at night.
HOUR_WEIGHTS = (3, 2, 1, 1, 1, 1, 2, 3, 4, 4, 4, 5, 6, 5, 5, 5, 6, 7, 8, 9, 10, 10, 8, 5)
EXTRA_TOPICS = (
    "meal prep", "home workout", "study with me", "car detailing", "nail art", "room makeover",
    "bread baking", "fishing tips", "stand up comedy", "piano tutorial", "wedding dress",
    "dog training", "gardening hacks", "chess openings", "makeup tutorial", "vegan recipes",
    "camping gear", "phone review", "lego build", "history facts", "crochet pattern",
    "running form", "anime edit", "volcano eruption", "tiny house", "moving vlog",
    "interview tips", "climbing wall", "japanese street food", "bike repair",
)  # fmt: skip
MODIFIERS = ("for beginners", "2024", "2025", "tutorial", "funny", "ideas", "at home", "asmr")


@dataclass
class BenchData:
    """What the measured requests need to know of the generated export."""

    export: Any
    user: Any
    video_id: str  # of one watched video: the search for one link


# -- The database -------------------------------------------------------------------------------


def create_database() -> None:
    """DATABASE dropped (if there) and created, on the server DATABASE_URL names."""
    import psycopg  # noqa: PLC0415 - the product's driver, loaded with Django
    from django.conf import settings  # noqa: PLC0415

    params = settings.DATABASES["default"]
    if params["NAME"] != DATABASE:
        raise RuntimeError(f"refusing to recreate {params['NAME']!r}: not the bench database")
    with psycopg.connect(
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
        user=params["USER"] or "postgres",
        password=params["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')


def build_export() -> BenchData:
    """A fresh, migrated database holding one person's READY, read export and its records."""
    from django.core.management import call_command  # noqa: PLC0415 - needs Django set up

    started = time.perf_counter()
    create_database()
    call_command("migrate", verbosity=0, interactive=False)
    note(f"  database {DATABASE} created and migrated in {time.perf_counter() - started:.1f} s")
    export, user = _export()
    started = time.perf_counter()
    video_id = load_records(export)
    note(f"  records written in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    _execute("ANALYZE")
    note(f"  ANALYZE in {time.perf_counter() - started:.1f} s")
    _finish_reading(export)
    return BenchData(export, user, video_id)


def _export() -> tuple[Any, Any]:
    from django.contrib.auth import get_user_model  # noqa: PLC0415

    from exports.archive_store import archive_key  # noqa: PLC0415
    from exports.datasets import ExportReading, ExportSection, ReadingState  # noqa: PLC0415
    from exports.models import ExportRequest, ExportState  # noqa: PLC0415

    user = get_user_model().objects.create(username="bench")
    export = ExportRequest.objects.create(
        user=user,
        state=ExportState.READY,
        categories=["all_data"],
        data_format="json",
        scope="portability.all.ongoing",
        tiktok_request_id=2**61 + 7,
        archive_size=1,
        archive_entries=1,
        ready_at=END,
        retention_until=dt.datetime.now(dt.UTC) + dt.timedelta(days=7),
        created_at=END,
    )
    export.archive_key = archive_key(user.pk, export.pk)
    export.save(update_fields=["archive_key"])
    ExportReading.objects.create(export=export, state=ReadingState.READING)
    for dataset, path in SECTIONS.items():
        ExportSection.objects.create(
            export=export, path=path, dataset=dataset, items=COUNTS[dataset]
        )
    return export, user


def _finish_reading(export: Any) -> None:
    """The reading's summary as `_finish` writes it, from the records themselves."""
    from django.db.models import Count, Max, Min  # noqa: PLC0415

    from exports.datasets import ExportReading, ExportRecord, ReadingState  # noqa: PLC0415
    from exports.reader.values import iso_utc  # noqa: PLC0415

    found = (
        ExportRecord.objects.filter(export_id=export.pk)
        .values_list("dataset")
        .annotate(n=Count("id"), first=Min("occurred_at"), last=Max("occurred_at"))
    )
    ExportReading.objects.filter(export_id=export.pk).update(
        state=ReadingState.DONE,
        reader_version=1,
        layout_format="json",
        layout_generation="gen_c",
        layout_language="en",
        datasets={
            name: {"count": n, "first": iso_utc(first), "last": iso_utc(last)}
            for name, n, first, last in sorted(found)
        },
        files=[{"name": "user_data_tiktok.json", "size": 0}],
        records_done=sum(COUNTS.values()),
        started_at=END,
        finished_at=END,
    )


def _execute(sql: str) -> None:
    from django.db import connection  # noqa: PLC0415

    with connection.cursor() as cursor:
        cursor.execute(sql)


# -- The records --------------------------------------------------------------------------------


class Generator:
    """The records of each data set, seeded: the same every run. Words come from the sandbox's
    lists (tiktok_sandbox.archives.fake) and EXTRA_TOPICS."""

    def __init__(self) -> None:
        from tiktok_sandbox.archives import fake  # noqa: PLC0415 - needs Django set up

        self.rng = random.Random(SEED)  # noqa: S311 - not for security: the same data every run
        self.topics = fake.TOPICS + EXTRA_TOPICS
        # The n-th topic 1/n as often as the first (Zipf, as interests and words are spread).
        weights = (1 / n for n in range(1, len(self.topics) + 1))
        self.topic_weights = list(itertools.accumulate(weights))
        self.phrases, self.adjectives, self.nouns = fake.PHRASES, fake.ADJECTIVES, fake.NOUNS
        self.friends = [self.username() for _ in range(300)]

    def records(self, dataset: str) -> list[tuple[dt.datetime, dict[str, str]]]:
        """(moment, fields) of every record of `dataset`, in no order."""
        make = getattr(self, dataset)
        if dataset == "watch_history":
            return list(make())
        rows = [(moment, make()) for moment in self.moments(COUNTS[dataset])]
        if dataset == "searches":  # the rare term, planted
            planted = rows[: len(RARE_SEARCHES)]
            rows[: len(planted)] = [
                (moment, {"term": term})
                for (moment, _), term in zip(planted, RARE_SEARCHES, strict=True)
            ]
        if dataset == "comments":
            rows[0] = (rows[0][0], {"text": RARE_COMMENT, "link": self.link()})
        return rows

    def moments(self, count: int) -> list[dt.datetime]:
        """`count` moments over the 5 years before END, to the second, more in the evening."""
        rng = self.rng
        days = rng.choices(range(SPAN_SECONDS // 86400), k=count)
        hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
        return [
            END - dt.timedelta(days=day + 1, hours=-hour, seconds=-rng.randrange(3600))
            for day, hour in zip(days, hours, strict=True)
        ]

    def watch_history(self) -> Iterator[tuple[dt.datetime, dict[str, str]]]:
        """Sessions of 40 videos on average, 3 to 90 s apart; a third of them with a title."""
        rng, left = self.rng, COUNTS["watch_history"]
        while left:
            # A day earlier than the other data sets: a session never runs past END.
            moment = self.moments(1)[0] - dt.timedelta(days=1)
            for _ in range(min(left, 1 + int(rng.expovariate(1 / 40)))):
                fields = {"link": self.link()}
                if rng.random() < 1 / 3:
                    fields["title"] = self.title()
                yield moment, fields
                moment += dt.timedelta(seconds=rng.randint(3, 90))
                left -= 1

    def searches(self) -> dict[str, str]:
        kind = self.rng.random()
        if kind < 0.5:
            return {"term": self.topic()}
        if kind < 0.8:
            return {"term": f"{self.topic()} {self.rng.choice(MODIFIERS)}"}
        return {"term": self.username()}

    def comments(self) -> dict[str, str]:
        return {"text": self.rng.choice(self.phrases), "link": self.link()}

    def direct_messages(self) -> dict[str, str]:
        """In 300 conversations, a few of them busy; half the messages are the owner's."""
        rng = self.rng
        friend = self.friends[min(int(rng.expovariate(1 / 40)), len(self.friends) - 1)]
        sender = friend if rng.random() < 0.5 else "bench"
        return {"conversation": friend, "sender": sender, "text": rng.choice(self.phrases)}

    def followers(self) -> dict[str, str]:
        return {"username": self.username()}

    def topic(self) -> str:
        return self.rng.choices(self.topics, cum_weights=self.topic_weights)[0]

    def title(self) -> str:
        topic = self.topic()
        return self.rng.choice((f"{topic} #fyp", f"My {topic}", f"{topic} part 2"))

    def username(self) -> str:
        rng = self.rng
        return f"{rng.choice(self.adjectives)}.{rng.choice(self.nouns)}{rng.randrange(10, 1000)}"

    def link(self) -> str:
        return f"https://www.tiktokv.com/share/video/7{self.rng.randrange(10**18):018}/"


def load_records(export: Any) -> str:
    """Every data set's records, with COPY in _RecordWriter's columns, each data set newest
    first (TikTok's order, which `position` keeps); returns the id of one watched video."""
    from django.db import connection, transaction  # noqa: PLC0415

    from exports.datasets import ExportSection  # noqa: PLC0415
    from exports.reader.catalog import search_text_of  # noqa: PLC0415
    from exports.services.reading import _COLUMNS  # noqa: PLC0415 - the writer's own columns

    sections = dict(ExportSection.objects.filter(export=export).values_list("dataset", "pk"))
    generator = Generator()
    sql = f"COPY exports_exportrecord ({', '.join(_COLUMNS)}) FROM STDIN"
    position, video_id = 0, ""
    for dataset in COUNTS:
        rows = sorted(generator.records(dataset), key=lambda row: row[0], reverse=True)
        if dataset == "watch_history":
            video_id = rows[len(rows) // 3][1]["link"].rsplit("/", 2)[-2]
        note(f"  writing {len(rows):,} {dataset}")
        suffix = " UTC" if dataset == "comments" else ""  # as Gen C dates comments
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.cursor.copy(sql) as copy,
        ):
            for moment, fields in rows:
                copy.write_row(
                    (
                        export.pk,
                        sections[dataset],
                        dataset,
                        position,
                        moment,
                        moment.strftime("%Y-%m-%d %H:%M:%S") + suffix,
                        json.dumps(fields, ensure_ascii=False),
                        search_text_of(fields),
                    )
                )
                position += 1
    return video_id


# -- The requests -------------------------------------------------------------------------------


def requests_of(data: BenchData) -> list[Request]:
    """Every request measured, with what its page must show (checked with page_of)."""
    from django.urls import reverse  # noqa: PLC0415

    export = data.export.pk
    table = reverse("explore_dataset", args=[export, "watch_history"])
    searches = reverse("explore_dataset", args=[export, "searches"])
    search = reverse("explore_search", args=[export])
    since, until = PERIOD
    return [
        Request("table: first page", table, {}, "watch_history"),
        Request("table: page 500k deep", table, {"after": _deep_cursor(data)}, "watch_history"),
        Request("table: 3 months", table, {"since": since, "until": until}, "watch_history"),
        Request(f"search: rare ({RARE})", search, {"q": RARE}, ""),
        Request(f"search: common ({COMMON})", search, {"q": COMMON}, ""),
        Request(f"search: no hits ({NOTHING})", search, {"q": NOTHING}, ""),
        Request(f"search: every link ({EVERYWHERE})", search, {"q": EVERYWHERE}, ""),
        Request(f"searches: rare ({RARE})", searches, {"q": RARE}, "searches"),
        Request(f"searches: common ({COMMON})", searches, {"q": COMMON}, "searches"),
        Request("table: one video id", table, {"q": data.video_id}, "watch_history"),
        Request(f"table: {ELSEWHERE}", table, {"q": ELSEWHERE}, "watch_history"),
        Request("overview: cold", reverse("explore_overview", args=[export]), {}, None, False),
        Request("overview: warm", reverse("explore_overview", args=[export]), {}, None, False),
    ]


def _deep_cursor(data: BenchData) -> str:
    """The cursor of the record DEEP rows down the table, newest first, as its page writes it."""
    from django.db.models import F  # noqa: PLC0415

    from exports.datasets import ExportRecord  # noqa: PLC0415
    from exports.services.explorer import Cursor  # noqa: PLC0415

    moment, position = (
        ExportRecord.objects.filter(export_id=data.export.pk, dataset="watch_history")
        .order_by(F("occurred_at").desc(nulls_first=True), F("position").desc())
        .values_list("occurred_at", "position")[DEEP]
    )
    return Cursor(moment, position).encode()


def check(data: BenchData, request: Request) -> None:
    """What the request's page shows, from page_of (the view's own call) and a count: the
    rows on its page and every match."""
    from exports.services import explorer  # noqa: PLC0415
    from exports.services.extracts import read_datasets  # noqa: PLC0415

    if request.dataset is None:
        return
    datasets = [request.dataset] if request.dataset else read_datasets(data.export)
    params = request.params
    period = explorer.Period(
        dt.date.fromisoformat(params["since"]) if "since" in params else None,
        dt.date.fromisoformat(params["until"]) if "until" in params else None,
    )
    cursor = explorer.Cursor.decode(params["after"]) if "after" in params else None
    query = params.get("q", "")
    page = explorer.page_of(data.export, datasets, period=period, query=query, cursor=cursor)
    request.rows = len(page.rows)
    records = period.records(explorer.records_of(data.export, datasets))
    if query:
        records = records.filter(search_text__contains=query.lower())
    request.matches = records.count()
    # A full page, or every match (a page after a cursor: full, as it is half-way down).
    expected = explorer.PAGE_SIZE if cursor else min(explorer.PAGE_SIZE, request.matches)
    if request.rows != expected:
        request.errors.append(f"{request.rows} rows on its page, not {expected}")


class QueryTimer:
    """A database execute wrapper: every query's seconds (to its result, fetched) and SQL."""

    def __init__(self) -> None:
        self.queries: list[Timing] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        from django.db import connection  # noqa: PLC0415

        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds = time.perf_counter() - started
            text = sql if many or params is None else connection.ops.compose_sql(sql, params)
            self.queries.append(Timing(seconds, text))


def measure(client: Any, request: Request) -> None:
    """WARMUPS untimed runs, then RUNS timed ones (fewer for a cold overview, which clears the
    cache before each one); then one more, untimed, to time its queries."""
    from django.core.cache import cache  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415

    cold = request.name == "overview: cold"
    warmups, runs = (COLD_WARMUPS, COLD_RUNS) if cold else (WARMUPS, RUNS)
    for attempt in range(warmups + runs):
        if cold:
            cache.clear()
        started = time.perf_counter()
        response = client.get(request.path, request.params)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            request.errors.append(f"status {response.status_code}")
        elif attempt >= warmups:
            request.timings.append(elapsed)
    if cold:
        cache.clear()
    timer = QueryTimer()
    with connection.execute_wrapper(timer):
        client.get(request.path, request.params)
    request.queries = timer.queries


def explain(sql: str) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of one captured query: its plan, line by line."""
    from django.db import connection  # noqa: PLC0415

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return [line for (line,) in cursor.fetchall()]


def signed_in_client(data: BenchData) -> Any:
    from django.test import Client  # noqa: PLC0415 - needs Django set up

    # 127.0.0.1 is an allowed host of the bench's settings (DEBUG=1); "testserver" is not.
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(data.user)
    return client


def print_header() -> None:
    from django.db import connection  # noqa: PLC0415

    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), current_setting('shared_buffers')")
        version, buffers = cursor.fetchone()
    say(f"explorer benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    say(f"{version.split(' on ')[0]}, shared_buffers {buffers}, database {DATABASE}")
    say("one export: " + ", ".join(f"{n:,} {name}" for name, n in COUNTS.items()))
    say(f"{WARMUPS} warm-ups then {RUNS} timed runs of each request (overview cold:")
    say(f"{COLD_WARMUPS} then {COLD_RUNS}, the cache cleared before each)")


def run_explorer_bench() -> bool:
    """The whole explorer benchmark, report included; returns whether every target is met.
    Django must be set up with EXPLORER_ENVIRONMENT."""
    from django.conf import settings  # noqa: PLC0415

    # Measure what production runs: no DEBUG query log, no debug templates. The template
    # engine is made on first use, after this.
    settings.DEBUG = False
    data = build_export()
    print_header()
    client = signed_in_client(data)
    requests = requests_of(data)
    for request in requests:
        note(f"  {request.name}")
        check(data, request)
        measure(client, request)
    print_table(requests)
    found = verdicts(requests)
    print_verdicts(found)
    print_plans(requests, explain)
    return all(verdict.passed for verdict in found)


def prepare_environment() -> None:
    """EXPLORER_ENVIRONMENT into this process's environment, before Django is set up."""
    os.environ.update(EXPLORER_ENVIRONMENT)
