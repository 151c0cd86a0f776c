"""The archive explorer: what a person sees of the data the site read out of one export (its
overview and charts, its tables page by page, a search, the comparison with the export before).

Everything here reads ExportRecords of an export the caller already fetched through
`exports_for(user)`: no function takes an id it would look up unscoped. Counts and charts are
computed by the database; the one question it cannot answer well (sessions, from the gaps
between videos) streams the watch history's times once. A read archive never changes, so an
overview is cached per export, period, time zone and session gap.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate, TruncMonth

from exports.datasets import ExportReading, ExportRecord, ExportSection, ReadingState
from exports.middleware import time_zone_named
from exports.models import ExportRequest, ExportState
from exports.reader import BY_NAME, DATASET_NAMES, PATH_SEPARATOR
from exports.reader.catalog import Shape

PAGE_SIZE = 50
# Matches of a search few enough to sort by themselves rather than walk the data set in order.
FEW_MATCHES = 1000
# How long a computed overview is kept: the records it counts never change, so this only bounds
# the cache's size.
OVERVIEW_CACHE_SECONDS = 24 * 3600
DEFAULT_SESSION_GAP = dt.timedelta(minutes=10)
# Gaps a person may choose between sessions (minutes).
SESSION_GAPS = (5, 10, 15, 30, 60)
# Rows shown in a ranked list (top searches, devices, conversations).
TOP = 10
# Followers and following named in a comparison, each way; the counts are always complete.
NAMED_CHANGES = 200
# The data sets the overview charts month by month.
ACTIVITY_DATASETS = ("likes", "favorite_videos", "comments", "searches", "shares")
# Hosts whose links a row may point at: TikTok's own (a record's link comes from the archive,
# which a person could have edited: no other host, no other scheme).
TIKTOK_HOSTS = ("tiktok.com", "tiktokv.com", "tiktokv.eu")
HOST_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")


# -- Periods and cursors ----------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A range of days in the person's time zone, both ends included, either end open."""

    since: dt.date | None = None
    until: dt.date | None = None
    zone: dt.tzinfo = dt.UTC

    def records(self, records: QuerySet[ExportRecord]) -> QuerySet[ExportRecord]:
        """`records` that happened in the period (all of them, dated or not, when it is open)."""
        if self.since is not None:
            start = dt.datetime.combine(self.since, dt.time(), self.zone)
            records = records.filter(occurred_at__gte=start)
        # The last day a date can name has no day after it: the period has no end then.
        if self.until is not None and self.until < dt.date.max:
            end = dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time(), self.zone)
            records = records.filter(occurred_at__lt=end)
        return records

    @property
    def is_open(self) -> bool:
        return self.since is None and self.until is None

    def key(self) -> str:
        return f"{self.since}:{self.until}:{self.zone}"


class BadCursorError(ValueError):
    """A page cursor that this site did not write."""


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last row's time (None for an undated row) and position. The next
    page starts after it in the page's order, so a deep page costs what the first one does."""

    occurred_at: dt.datetime | None
    position: int

    def encode(self) -> str:
        moment = f"{self.occurred_at.timestamp():.6f}" if self.occurred_at else ""
        return f"{moment}~{self.position}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        moment, separator, position = text.partition("~")
        try:
            if not separator or not position.isdigit() or len(position) > 19:
                raise ValueError(text)
            when = None
            if moment:
                if len(moment) > 24:
                    raise ValueError(text)
                when = dt.datetime.fromtimestamp(float(moment), dt.UTC)
            return cls(when, int(position))
        except (ValueError, OverflowError, OSError):
            raise BadCursorError(text) from None

    def after(self, newest_first: bool) -> Q:
        """The rows after this one in the order `newest_first` (undated rows come first then,
        last otherwise), as bounds the (time, position) index answers."""
        if newest_first:
            if self.occurred_at is None:
                return Q(occurred_at__isnull=True, position__lt=self.position) | Q(
                    occurred_at__isnull=False
                )
            return Q(occurred_at__lte=self.occurred_at) & ~Q(
                occurred_at=self.occurred_at, position__gte=self.position
            )
        if self.occurred_at is None:
            return Q(occurred_at__isnull=True, position__gt=self.position)
        return (
            Q(occurred_at__gte=self.occurred_at)
            & ~Q(occurred_at=self.occurred_at, position__lte=self.position)
        ) | Q(occurred_at__isnull=True)


def in_order(records: QuerySet[ExportRecord], newest_first: bool) -> QuerySet[ExportRecord]:
    if newest_first:
        return records.order_by(F("occurred_at").desc(nulls_first=True), F("position").desc())
    return records.order_by(F("occurred_at").asc(nulls_last=True), F("position").asc())


# -- Rows of a table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One record as a table row: when, which data set, what it says, where it leads."""

    position: int
    dataset: str
    occurred_at: dt.datetime | None
    raw_date: str
    fields: dict[str, Any]
    link: str

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.occurred_at, self.position)


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    next_cursor: str | None
    # The fields the page shows as columns, in the catalog's order.
    columns: tuple[str, ...]


def columns_of(datasets: Iterable[str]) -> tuple[str, ...]:
    """The named fields of the data sets, in the catalog's order, without repeats."""
    columns: list[str] = []
    for name in datasets:
        dataset = BY_NAME[name]
        for column in ((dataset.key_field,) if dataset.key_field else ()) + tuple(dataset.fields):
            if column not in columns:
                columns.append(column)
    return tuple(columns)


def records_of(export: ExportRequest, datasets: Iterable[str] | None = None):
    """The export's records, of `datasets` (all when None)."""
    records = ExportRecord.objects.filter(export_id=export.pk)
    if datasets is not None:
        records = records.filter(dataset__in=list(datasets))
    return records


def page_of(
    export: ExportRequest,
    datasets: list[str],
    *,
    period: Period = Period(),
    query: str = "",
    newest_first: bool = True,
    cursor: Cursor | None = None,
    struck: Iterable[int] = (),
    page_size: int = PAGE_SIZE,
) -> Page:
    """One page of the export's records of `datasets` in the period, matching `query` (a
    substring of what the record says, any case), after `cursor`, without the `struck`
    positions."""
    records = period.records(records_of(export, datasets))
    if query:
        records = records.filter(search_text__contains=query.lower())
        # PostgreSQL's statistics are the whole table's, not one data set's: a term common
        # elsewhere looks common here, and the planner walks the data set in time order for
        # the first matches, reading all of it when there are none. A probe through the
        # search index (unordered, so the planner has no order to walk) tells a few matches
        # from many: a few are then sorted by themselves.
        probe = list(records.order_by().values_list("id", flat=True)[: FEW_MATCHES + 1])
        if len(probe) <= FEW_MATCHES:
            records = ExportRecord.objects.filter(id__in=probe)
    struck = list(struck)
    if struck:
        records = records.exclude(position__in=struck)
    if cursor is not None:
        records = records.filter(cursor.after(newest_first))
    found = list(
        in_order(records, newest_first).values_list(
            "position", "dataset", "occurred_at", "raw_date", "fields"
        )[: page_size + 1]
    )
    rows = [_row(*values) for values in found[:page_size]]
    more = len(found) > page_size
    return Page(rows, rows[-1].cursor.encode() if more else None, columns_of(datasets))


def _row(position: int, dataset: str, occurred_at, raw_date: str, fields: dict) -> Row:
    return Row(position, dataset, occurred_at, raw_date, fields, tiktok_link_of(fields))


def tiktok_link_of(fields: dict[str, Any]) -> str:
    """Where a row leads on TikTok: its video or LIVE link if that is TikTok's, else the profile
    of the user it names; "" when neither."""
    link = fields.get("link")
    if isinstance(link, str) and _is_tiktok_url(link):
        return link.strip()
    username = fields.get("username")
    if (
        isinstance(username, str)
        and username
        and username.replace(".", "").replace("_", "").isalnum()
    ):
        return f"https://www.tiktok.com/@{username}"
    return ""


def _is_tiktok_url(link: str) -> bool:
    # Browsers read a backslash as "/" where Python's urlsplit does not, and skip whitespace
    # and control characters the host check below would see: a link with any is not TikTok's.
    link = link.strip()
    if "\\" in link or any(character.isspace() or ord(character) < 32 for character in link):
        return False
    try:
        parts = urlsplit(link)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if not host or not HOST_CHARACTERS.issuperset(host) or parts.username or parts.password:
        return False
    return parts.scheme == "https" and any(
        host == allowed or host.endswith("." + allowed) for allowed in TIKTOK_HOSTS
    )


# -- The overview -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchEstimate:
    """Watch time estimated from when videos started: a video counts until the next one
    started, when that is within the session gap; a longer gap ends the session."""

    videos: int
    sessions: int
    seconds: float
    longest_session_seconds: float
    gap: dt.timedelta

    @property
    def hours(self) -> float:
        return self.seconds / 3600

    @property
    def longest_session_minutes(self) -> float:
        return self.longest_session_seconds / 60


@dataclass
class Overview:
    """What the overview page shows of one export, in one period and time zone."""

    watched_per_day: list[tuple[dt.date, int]] = field(default_factory=list)
    watched_per_week: list[tuple[dt.date, int]] = field(default_factory=list)
    # [weekday 0 = Monday][hour]
    heatmap: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in range(7)])
    watching: WatchEstimate | None = None
    activity_per_month: dict[str, list[tuple[dt.date, int]]] = field(default_factory=dict)
    top_searches: list[tuple[str, int]] = field(default_factory=list)
    follows_per_month: dict[str, list[tuple[dt.date, int]]] = field(default_factory=dict)
    logins_by_device: list[tuple[str, int]] = field(default_factory=list)
    logins_by_network: list[tuple[str, int]] = field(default_factory=list)
    messages_per_conversation: list[tuple[str, int]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def overview_of(
    export: ExportRequest, reading: ExportReading, period: Period, gap: dt.timedelta
) -> Overview:
    """The export's overview in `period`, cached: a read archive never changes."""
    parts = f"{export.pk}|{reading.finished_at}|{period.key()}|{gap.total_seconds()}"
    key = "explorer:v1:" + hashlib.sha256(parts.encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = _compute_overview(export, period, gap)
        cache.set(key, found, OVERVIEW_CACHE_SECONDS)
    return found


def warm_overview(export: ExportRequest) -> None:
    """Computes (and caches) the overview its owner will likely open first: every day, in the
    time zone they asked for the export in, with the default session gap."""
    reading = ExportReading.objects.filter(export=export, state=ReadingState.DONE).first()
    if reading is not None:
        zone = time_zone_named(export.time_zone) or dt.UTC
        overview_of(export, reading, Period(zone=zone), DEFAULT_SESSION_GAP)


def _compute_overview(export: ExportRequest, period: Period, gap: dt.timedelta) -> Overview:
    zone = period.zone
    overview = Overview()
    records = period.records(records_of(export))
    overview.counts = dict(
        records.values_list("dataset").annotate(n=Count("id")).values_list("dataset", "n")
    )
    watched = records.filter(dataset="watch_history", occurred_at__isnull=False)
    days = dict(
        watched.annotate(day=TruncDate("occurred_at", tzinfo=zone))
        .values_list("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    overview.watched_per_day = _every_day(days)
    overview.watched_per_week = _by_week(overview.watched_per_day)
    for weekday, hour, n in (
        watched.annotate(
            weekday=ExtractIsoWeekDay("occurred_at", tzinfo=zone),
            hour=ExtractHour("occurred_at", tzinfo=zone),
        )
        .values_list("weekday", "hour")
        .annotate(n=Count("id"))
        .values_list("weekday", "hour", "n")
    ):
        overview.heatmap[weekday - 1][hour] = n
    if overview.counts.get("watch_history"):
        overview.watching = estimate_watching(
            watched.order_by("occurred_at")
            .values_list("occurred_at", flat=True)
            .iterator(chunk_size=10_000),
            gap,
        )
    for dataset in ACTIVITY_DATASETS:
        if overview.counts.get(dataset):
            overview.activity_per_month[dataset] = _per_month(records, dataset, zone)
    for dataset in ("followers", "following"):
        if overview.counts.get(dataset):
            overview.follows_per_month[dataset] = _per_month(records, dataset, zone)
    overview.top_searches = _top(records, "searches", "term")
    overview.logins_by_device = _top(records, "logins", "device_model")
    overview.logins_by_network = _top(records, "logins", "network_type")
    overview.messages_per_conversation = _top(records, "direct_messages", "conversation")
    return overview


def estimate_watching(moments: Iterable[dt.datetime], gap: dt.timedelta) -> WatchEstimate:
    """Sessions and watch time from the videos' start times in time order (see WatchEstimate).
    The last video of a session adds nothing: when it stopped is not known."""
    limit = gap.total_seconds()
    videos = sessions = 0
    seconds = longest = current = 0.0
    previous: dt.datetime | None = None
    for moment in moments:
        videos += 1
        if previous is None:
            sessions = 1
        else:
            step = (moment - previous).total_seconds()
            if step <= limit:
                seconds += step
                current += step
            else:
                sessions += 1
                current = 0.0
        longest = max(longest, current)
        previous = moment
    return WatchEstimate(videos, sessions, seconds, longest, gap)


def _every_day(counts: dict[dt.date, int]) -> list[tuple[dt.date, int]]:
    """One entry per day from the first day with videos to the last, zeros included: a chart
    of days shows the quiet ones too. (Not from the period's ends: a period may start in year 1.)"""
    if not counts:
        return []
    day, last = min(counts), max(counts)
    days = []
    while day <= last:
        days.append((day, counts.get(day, 0)))
        day += dt.timedelta(days=1)
    return days


def _by_week(days: list[tuple[dt.date, int]]) -> list[tuple[dt.date, int]]:
    """Days summed into weeks starting on Monday."""
    weeks: dict[dt.date, int] = {}
    for day, n in days:
        monday = day - dt.timedelta(days=day.weekday())
        weeks[monday] = weeks.get(monday, 0) + n
    return sorted(weeks.items())


def _per_month(
    records: QuerySet[ExportRecord], dataset: str, zone: dt.tzinfo
) -> list[tuple[dt.date, int]]:
    months = dict(
        records.filter(dataset=dataset, occurred_at__isnull=False)
        .annotate(month=TruncMonth("occurred_at", tzinfo=zone))
        .values_list("month")
        .annotate(n=Count("id"))
        .values_list("month", "n")
    )
    found = {_as_date(month): n for month, n in months.items()}
    if not found:
        return []
    result = []
    month, last = min(found), max(found)
    while month <= last:
        result.append((month, found.get(month, 0)))
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return result


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _top(records: QuerySet[ExportRecord], dataset: str, name: str) -> list[tuple[str, int]]:
    """The most frequent values of a field of a data set, most frequent first. (Empty values
    are dropped here, not in SQL: SQLite reads `= ''` on a JSON key as JSON.)"""
    found = (
        records.filter(dataset=dataset)
        .annotate(value=KT(f"fields__{name}"))
        .exclude(value__isnull=True)
        .values_list("value")
        .annotate(n=Count("id"))
        .order_by("-n", "value")
        .values_list("value", "n")[: TOP + 1]
    )
    return [(str(value), n) for value, n in found if value][:TOP]


# -- Comparing with the export before ----------------------------------------------------------


@dataclass
class PeopleChange:
    gained: list[str]
    lost: list[str]
    gained_count: int
    lost_count: int


@dataclass
class LayoutChange:
    """One thing TikTok changed in how it writes the export, for a sentence on the page."""

    kind: str  # "moved", "new", "gone", "format", "generation", "language"
    dataset: str = ""
    before: str = ""
    after: str = ""


@dataclass
class Comparison:
    previous: ExportRequest
    people: dict[str, PeopleChange]
    since_previous: dict[str, int]
    layout_changes: list[LayoutChange]


def previous_export_of(export: ExportRequest) -> ExportRequest | None:
    """The same person's latest export before this one whose archive is stored and read."""
    return (
        ExportRequest.objects.filter(
            user_id=export.user_id,
            created_at__lt=export.created_at,
            state=ExportState.READY,
            reading__state=ReadingState.DONE,
        )
        .order_by("-created_at")
        .first()
    )


def compare(export: ExportRequest, previous: ExportRequest) -> Comparison:
    """What changed from `previous` to `export` (both the same person's, both read)."""
    people = {}
    for dataset in ("followers", "following"):
        now, before = _usernames(export, dataset), _usernames(previous, dataset)
        gained, lost = sorted(now - before), sorted(before - now)
        people[dataset] = PeopleChange(
            gained[:NAMED_CHANGES], lost[:NAMED_CHANGES], len(gained), len(lost)
        )
    since = {}
    for dataset in ("watch_history", "likes", "favorite_videos", "comments", "searches"):
        last_before = (
            records_of(previous, [dataset])
            .exclude(occurred_at__isnull=True)
            .order_by("-occurred_at")
            .values_list("occurred_at", flat=True)
            .first()
        )
        newer = records_of(export, [dataset]).exclude(occurred_at__isnull=True)
        if last_before is not None:
            newer = newer.filter(occurred_at__gt=last_before)
        since[dataset] = newer.count()
    return Comparison(previous, people, since, layout_changes(previous, export))


def _usernames(export: ExportRequest, dataset: str) -> set[str]:
    return set(
        records_of(export, [dataset])
        .annotate(username=KT("fields__username"))
        .exclude(username__isnull=True)
        .values_list("username", flat=True)
        .iterator(chunk_size=10_000)
    )


def layout_changes(before: ExportRequest, after: ExportRequest) -> list[LayoutChange]:
    """How TikTok's layout changed between two exports: format, generation, language, and each
    data set found in other sections, found only now, or no longer found."""
    changes = []
    old, new = before.reading, after.reading
    for kind in ("format", "generation", "language"):
        was, now = getattr(old, f"layout_{kind}"), getattr(new, f"layout_{kind}")
        if was and now and was != now:
            changes.append(LayoutChange(kind, before=was, after=now))
    old_paths, new_paths = _paths_by_dataset(before), _paths_by_dataset(after)
    for dataset in DATASET_NAMES:
        was, now = old_paths.get(dataset, set()), new_paths.get(dataset, set())
        if was and now and was != now:
            changes.append(
                LayoutChange(
                    "moved",
                    dataset,
                    " / ".join(sorted(was - now) or sorted(was)),
                    " / ".join(sorted(now - was) or sorted(now)),
                )
            )
        elif now and not was:
            changes.append(LayoutChange("new", dataset, after=" / ".join(sorted(now))))
        elif was and not now:
            changes.append(LayoutChange("gone", dataset, before=" / ".join(sorted(was))))
    return changes


def _paths_by_dataset(export: ExportRequest) -> dict[str, set[str]]:
    """Where each data set is in the export. A data set kept as one section per group (a
    direct message conversation) is where its groups are: a new conversation moves nothing."""
    paths: dict[str, set[str]] = {}
    for dataset, section_path in (
        ExportSection.objects.filter(export=export, items__gt=0)
        .exclude(dataset="")
        .values_list("dataset", "path")
    ):
        where = section_path
        known = BY_NAME.get(dataset)
        if known is not None and known.shape == Shape.LISTS_BY_KEY and known.json_paths:
            segments = section_path.split(PATH_SEPARATOR)
            if len(segments) > min(len(json_path) for json_path in known.json_paths):
                where = PATH_SEPARATOR.join(segments[:-1])
        paths.setdefault(dataset, set()).add(where)
    return paths
