"""The archive explorer's pages, as its owner and others meet them: the overview (counts, the
watch estimate, the charts' numbers, the person's time zone, a period), a data set's table page
by page, the search, the comparison with the export before, and that nobody else reaches any of
it. Each archive is built here in TikTok's JSON layout, stored in the site's file storage and
read into PostgreSQL by the real reading."""

from __future__ import annotations

import datetime as dt

import pytest

from exports.datasets import ExportRecord
from exports.services import explorer
from exports.services.explorer import PAGE_SIZE, WatchEstimate, estimate_watching

TEN_MINUTES = dt.timedelta(minutes=10)


def video(moment: str, number: int) -> dict:
    return {
        "Date": moment,
        "Link": f"https://www.tiktokv.com/share/video/73400000000000000{number:02d}/",
    }


# When the videos started (UTC), with the pauses between them. With sessions ending after a
# 10-minute pause: 5 sessions, 1800 s watched (0.5 h), the longest 720 s. With 30 minutes: 4
# sessions, 3600 s (1 h), the longest 3240 s (54 min).
WATCHED_AT = [
    "2024-03-04 10:00:00",  # a Monday
    "2024-03-04 10:01:00",  # +60
    "2024-03-04 10:03:00",  # +120
    "2024-03-04 10:12:00",  # +540
    "2024-03-04 10:42:00",  # +1800: a new session at 10 minutes, exactly the limit at 30
    "2024-03-04 10:44:00",  # +120
    "2024-03-04 10:54:00",  # +600: exactly the limit at 10 minutes
    "2024-03-04 11:39:00",  # +2700: a new session either way
    "2024-03-04 11:40:00",  # +60
    "2024-03-06 23:30:00",  # a Wednesday in UTC, Thursday 00:30 in Berlin
    "2024-03-06 23:35:00",  # +300
    "2024-03-12 08:00:00",  # the Tuesday after
]
LIKED = {
    # when -> the link the archive holds
    "2024-03-01 10:00:00": "https://www.tiktokv.com/share/video/7340000000000000101/",
    "2024-03-01 11:00:00": "https://vm.tiktok.com/ZMabc123/",
    "2024-03-01 12:00:00": "javascript:alert(document.cookie)",
    "2024-03-01 13:00:00": "https://evil.example/www.tiktok.com/video/1",
    "2024-03-01 14:00:00": "http://www.tiktok.com/@lucia.dances/video/1",
    "2024-03-01 15:00:00": "https://eviltiktok.com/@lucia.dances/video/1",
}
DOCUMENT = {
    "Your Activity": {
        # TikTok lists the newest first.
        "Watch History": {
            "VideoList": [video(moment, n) for n, moment in reversed(list(enumerate(WATCHED_AT)))]
        },
        "Searches": {
            "SearchList": [
                {"Date": "2024-03-05 09:00:00", "SearchTerm": "Sourdough starter"},
                {"Date": "2024-02-11 09:00:00", "SearchTerm": "sourdough"},
                {"Date": "2024-02-10 09:00:00", "SearchTerm": "flamenco shoes"},
            ]
        },
        "Login History": {"LoginHistoryList": None},
    },
    "Comment": {
        "Comments": {
            "CommentsList": [
                {
                    "Date": "2024-03-04 10:05:00",
                    "Comment": "Qué ARTE tiene esta mujer",
                    "Url": "https://www.tiktokv.com/share/video/7340000000000000003/",
                },
                {"Date": "2024-02-20 18:00:00", "Comment": "recipe please!"},
            ]
        }
    },
    "Direct Message": {
        "Direct Messages": {
            "ChatHistory": {
                "Chat History with amara.reads:": [
                    {
                        "Date": "2024-03-04 12:00:00",
                        "From": "amara.reads",
                        "Content": "Did you see the Flamenco festival poster?",
                    },
                    {
                        "Date": "2024-03-04 12:01:00",
                        "From": "lucia.dances",
                        "Content": "¡Sí! Vamos",
                    },
                ],
                "Chat History with bo.cooks:": [
                    {
                        "Date": "2024-03-01 08:00:00",
                        "From": "bo.cooks",
                        "Content": "bread tomorrow?",
                    }
                ],
            }
        }
    },
    "Likes and Favorites": {
        "Like List": {
            "ItemFavoriteList": [{"date": when, "link": link} for when, link in LIKED.items()]
        }
    },
    "Profile And Settings": {
        "Follower": {
            "FansList": [
                {"Date": "2024-01-15 10:00:00", "UserName": "amara.reads"},
                {"Date": "2024-02-15 10:00:00", "UserName": "Carla.Runs"},
            ]
        },
        "Following": {"Following": [{"Date": "2023-12-01 00:00:00", "UserName": "jonas.bakes"}]},
    },
}


@pytest.fixture
def explored(stored_export, person, client):
    """The person's read export, and the person signed in."""
    export = stored_export(person, DOCUMENT)
    client.force_login(person)
    return export


def overview_url(export) -> str:
    return f"/exports/{export.pk}/explore/"


def fact(page, label: str) -> str:
    """The value of one of the watch estimate's facts, by its label."""
    (found,) = [
        item
        for item in page.by_id("watching").all("div")
        if item.all("dt") and item.all("dt")[0].text.startswith(label)
    ]
    return found.all("dd")[0].text


def row_positions(page) -> list[int]:
    """The positions of the records the page's table shows, in its order."""
    if not page.has_id("records"):
        return []
    return [int(row.attrs["id"].removeprefix("row-")) for row in page.by_id("records").all("tr")
            if row.attrs.get("id", "").startswith("row-")]  # fmt: skip


def position_of(export, dataset: str, **fields: str) -> int:
    """The position the reading gave the one record of `dataset` with these fields."""
    lookups = {f"fields__{name}": value for name, value in fields.items()}
    return ExportRecord.objects.get(export=export, dataset=dataset, **lookups).position


# -- The overview --------------------------------------------------------------------------------


def test_the_data_sets_table_counts_every_item_of_each_data_set(explored, client, html):
    page = html(client.get(overview_url(explored)))

    counts = {
        row.attrs["id"].removeprefix("count-"): row.attrs["data-count"]
        for row in page.by_id("dataset-counts").all("tr")
        if row.attrs.get("id", "").startswith("count-")
    }
    assert counts == {
        "watch_history": "12",
        "likes": "6",
        "followers": "2",
        "following": "1",
        "searches": "3",
        "comments": "2",
        "direct_messages": "3",
    }
    # Present in the archive but empty: no row.
    assert not page.has_id("count-logins")


def test_the_watch_estimate_ends_a_session_after_a_pause_of_more_than_ten_minutes(
    explored, client, html
):
    page = html(client.get(overview_url(explored)))

    assert page.by_id("videos-watched").attrs["data-value"] == "12"
    assert page.by_id("sessions").attrs["data-value"] == "5"
    assert page.by_id("watch-hours").text == "0.5 h"
    assert fact(page, "Longest session") == "12 min"
    assert "a pause longer than 10 minutes ends a session" in page.by_id("estimate-method").text


def test_a_thirty_minute_gap_keeps_pauses_of_up_to_thirty_minutes_in_one_session(
    explored, client, html
):
    longer = html(client.get(overview_url(explored), {"gap": "30"}))
    default_again = html(client.get(overview_url(explored)))

    assert longer.by_id("videos-watched").attrs["data-value"] == "12"
    assert longer.by_id("sessions").attrs["data-value"] == "4"
    assert longer.by_id("watch-hours").text == "1 h"
    assert fact(longer, "Longest session") == "54 min"
    assert "a pause longer than 30 minutes" in longer.by_id("estimate-method").text
    # Each gap is its own overview, not the one cached first.
    assert default_again.by_id("sessions").attrs["data-value"] == "5"


def test_the_charts_tables_count_videos_per_day_and_per_week(explored, client, html):
    page = html(client.get(overview_url(explored)))

    assert page.table("Videos watched per day") == [
        ["04/03/2024", "9"],
        ["05/03/2024", "0"],
        ["06/03/2024", "2"],
        ["07/03/2024", "0"],
        ["08/03/2024", "0"],
        ["09/03/2024", "0"],
        ["10/03/2024", "0"],
        ["11/03/2024", "0"],
        ["12/03/2024", "1"],
    ]
    # Weeks start on Monday.
    assert page.table("Videos watched per week") == [["04/03/2024", "11"], ["11/03/2024", "1"]]


def heat_grid(page) -> dict[str, list[int]]:
    rows = page.table("Videos started by weekday and hour")
    return {row[0]: [int(n) for n in row[1:]] for row in rows}


def hours(**counts: int) -> list[int]:
    """24 hours, zero but for `h<hour>=n`."""
    grid = [0] * 24
    for name, n in counts.items():
        grid[int(name.removeprefix("h"))] = n
    return grid


def test_the_heatmap_and_the_days_are_in_the_persons_time_zone(explored, client, html):
    in_utc = html(client.get(overview_url(explored)))
    client.cookies["tz"] = "Europe/Berlin"  # UTC+1 in March
    in_berlin = html(client.get(overview_url(explored)))

    assert heat_grid(in_utc) == {
        "Monday": hours(h10=7, h11=2),
        "Tuesday": hours(h8=1),
        "Wednesday": hours(h23=2),
        "Thursday": hours(),
        "Friday": hours(),
        "Saturday": hours(),
        "Sunday": hours(),
    }
    assert heat_grid(in_berlin) == {
        "Monday": hours(h11=7, h12=2),
        "Tuesday": hours(h9=1),
        "Wednesday": hours(),
        "Thursday": hours(h0=2),
        "Friday": hours(),
        "Saturday": hours(),
        "Sunday": hours(),
    }
    assert "Hours in your time zone (Europe/Berlin)." in in_berlin.by_id("watching").text
    per_day = dict(in_berlin.table("Videos watched per day"))
    assert (per_day["06/03/2024"], per_day["07/03/2024"]) == ("0", "2")


def test_a_period_narrows_the_watch_estimate_and_the_charts_both_days_included(
    explored, client, html
):
    every_day = html(client.get(overview_url(explored)))
    page = html(client.get(overview_url(explored), {"since": "2024-03-05", "until": "2024-03-12"}))

    assert page.by_id("videos-watched").attrs["data-value"] == "3"
    assert page.by_id("sessions").attrs["data-value"] == "2"
    assert page.table("Videos watched per day")[0] == ["06/03/2024", "2"]
    assert page.table("Videos watched per day")[-1] == ["12/03/2024", "1"]
    assert every_day.table("Searches") == [["February 2024", "2"], ["March 2024", "1"]]
    assert page.table("Searches") == [["March 2024", "1"]]
    assert page.all("a", href=overview_url(explored)), "no way back to every day"


def test_a_period_leaves_the_table_of_what_the_archive_holds_whole(explored, client, html):
    # "What is inside" is the archive (README: the charts are for the days picked).
    page = html(client.get(overview_url(explored), {"since": "2024-03-05", "until": "2024-03-12"}))

    assert page.by_id("count-watch_history").attrs["data-count"] == "12"
    assert page.by_id("count-searches").attrs["data-count"] == "3"


BAD_PERIODS = {
    "since-after-until": ({"since": "2024-03-12", "until": "2024-03-05"}, None),
    "since-not-a-date": ({"since": "notadate"}, "since-error"),
    "until-not-a-day": ({"until": "2024-02-30"}, "until-error"),
}
MESSAGES = {
    None: "The first day comes after the last one.",
    "since-error": "Enter the first day as a date.",
    "until-error": "Enter the last day as a date.",
}


@pytest.mark.parametrize(("period", "error_id"), BAD_PERIODS.values(), ids=BAD_PERIODS.keys())
def test_a_bad_period_is_refused_with_a_message_on_the_page(
    explored, client, html, period, error_id
):
    response = client.get(overview_url(explored), period)
    page = html(response)

    assert response.status_code == 400
    if error_id is None:
        (alert,) = page.by_id("period-form").all("div", role="alert")
        assert alert.text == MESSAGES[None]
    else:
        assert page.by_id(error_id).text == MESSAGES[error_id]
    assert not page.has_id("watching")


def test_a_session_gap_the_page_does_not_offer_is_refused(explored, client):
    assert client.get(overview_url(explored), {"gap": "7"}).status_code == 400


@pytest.mark.parametrize("where", ["explore/", "explore/data/watch_history/", "explore/search/"])
def test_a_period_up_to_the_last_day_a_date_can_name_shows_every_dated_record(
    explored, client, html, where
):
    client.raise_request_exception = False

    response = client.get(f"/exports/{explored.pk}/{where}", {"until": "9999-12-31"})

    assert response.status_code == 200
    if where == "explore/":
        assert html(response).by_id("videos-watched").attrs["data-value"] == "12"


def test_an_export_not_read_yet_shows_the_waiting_page(stored_export, person, client, html):
    export = stored_export(person, DOCUMENT, read=False)
    client.force_login(person)

    response = client.get(overview_url(export))
    page = html(response)

    assert response.status_code == 200
    assert "We are reading your data" in page.by_id("reading").text
    assert not page.has_id("dataset-counts")


def test_estimating_nothing_watched_gives_no_sessions():
    assert estimate_watching([], TEN_MINUTES) == WatchEstimate(0, 0, 0.0, 0.0, TEN_MINUTES)


def test_one_video_is_one_session_of_no_known_length():
    moment = dt.datetime(2024, 3, 4, 10, tzinfo=dt.UTC)

    assert estimate_watching([moment], TEN_MINUTES) == WatchEstimate(1, 1, 0.0, 0.0, TEN_MINUTES)


def test_a_pause_exactly_as_long_as_the_gap_keeps_the_session_and_one_second_more_ends_it():
    start = dt.datetime(2024, 3, 4, 10, tzinfo=dt.UTC)
    moments = [
        start,
        start + TEN_MINUTES,
        start + 2 * TEN_MINUTES,
        start + 2 * TEN_MINUTES,  # two videos in the same second
        start + 3 * TEN_MINUTES + dt.timedelta(seconds=1),
    ]

    found = estimate_watching(moments, TEN_MINUTES)

    assert (found.videos, found.sessions) == (5, 2)
    assert found.seconds == 1200.0
    assert found.longest_session_seconds == 1200.0
    assert found.longest_session_minutes == 20.0


# -- Tables and search ---------------------------------------------------------------------------

# 130 likes: 75 dated, seven at a time on the same second (five in the last group), and 55 with
# a link but no date, mixed in the archive's order.
TIED_MOMENTS = [f"2024-01-{day:02d} 12:00:00" for day in range(1, 12)]
LIKES_IN_TIME_ORDER = [
    {"Date": TIED_MOMENTS[n // 7], "Link": f"https://www.tiktokv.com/share/video/71{n:03d}/"}
    for n in range(75)
] + [{"Link": f"https://www.tiktokv.com/share/video/72{n:03d}/"} for n in range(55)]
# Mixed up (37 and 130 are coprime: every like once), so that the archive's order is not time's.
MANY_LIKES = [LIKES_IN_TIME_ORDER[n * 37 % 130] for n in range(130)]
MANY = {"Likes and Favorites": {"Like List": {"ItemFavoriteList": MANY_LIKES}}}


def in_time_order(export, *, newest_first: bool) -> list[int]:
    """The likes' positions in the explorer's order: by time, ties by their place in the
    archive; the undated ones (by their place) first when the newest come first, last
    otherwise: the one order read backwards."""
    records = list(
        ExportRecord.objects.filter(export=export, dataset="likes").values_list(
            "position", "occurred_at"
        )
    )
    dated = sorted((moment, position) for position, moment in records if moment is not None)
    undated = sorted(position for position, moment in records if moment is None)
    if newest_first:
        return undated[::-1] + [position for _moment, position in reversed(dated)]
    return [position for _moment, position in dated] + undated


@pytest.mark.parametrize("order", ["newest", "oldest"])
def test_following_the_next_page_link_shows_every_record_once_in_order(
    stored_export, person, client, html, order
):
    export = stored_export(person, MANY)
    client.force_login(person)
    url = f"/exports/{export.pk}/explore/data/likes/"
    expected = in_time_order(export, newest_first=order == "newest")
    moments = dict(
        ExportRecord.objects.filter(export=export).values_list("position", "occurred_at")
    )

    pages, query = [], f"?order={order}"
    while query is not None:
        response = client.get(url + query)
        assert response.status_code == 200
        page = html(response)
        pages.append(row_positions(page))
        assert bool(page.all("a", rel="next")) == (len(pages) < 3)
        query = page.all("a", rel="next")[0].attrs["href"] if page.all("a", rel="next") else None
        assert len(pages) <= 3

    assert [len(rows) for rows in pages] == [PAGE_SIZE, PAGE_SIZE, 130 - 2 * PAGE_SIZE]
    assert [position for rows in pages for position in rows] == expected
    # The pages end on an undated record, and cut through seven likes of one second.
    boundaries = [(pages[0][-1], pages[1][0]), (pages[1][-1], pages[2][0])]
    assert any(moments[before] is None is moments[after] for before, after in boundaries)
    assert any(
        moments[before] is not None and moments[before] == moments[after]
        for before, after in boundaries
    )


def test_a_page_after_the_first_links_back_to_the_first(stored_export, person, client, html):
    export = stored_export(person, MANY)
    client.force_login(person)
    url = f"/exports/{export.pk}/explore/data/likes/"

    first = html(client.get(url, {"order": "oldest"}))
    second = html(client.get(url + first.all("a", rel="next")[0].attrs["href"]))

    assert not [link for link in first.all("a") if link.text == "First page"]
    (back,) = [link for link in second.all("a") if link.text == "First page"]
    assert back.attrs["href"] == "?order=oldest"


SEARCHES = [
    ("SOURDOUGH", [("searches", {"term": "Sourdough starter"}),
                   ("searches", {"term": "sourdough"})]),
    ("ARTE tiene", [("comments", {"text": "Qué ARTE tiene esta mujer"})]),
    ("¡SÍ! VAMOS", [("direct_messages", {"text": "¡Sí! Vamos"})]),
    ("Bo.Cooks", [("direct_messages", {"sender": "bo.cooks"})]),
    ("carla.RUNS", [("followers", {"username": "Carla.Runs"})]),
    ("VM.TIKTOK.COM/zmabc", [("likes", {"link": "https://vm.tiktok.com/ZMabc123/"})]),
    (
        "share/video/7340000000000000003",
        [
            ("watch_history", {"link": "https://www.tiktokv.com/share/video/7340000000000000003/"}),
            ("comments", {"text": "Qué ARTE tiene esta mujer"}),
        ],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("query", "matches"), SEARCHES, ids=[q for q, _m in SEARCHES])
def test_a_search_finds_searches_comments_messages_user_names_and_links_in_any_case(
    explored, client, html, query, matches
):
    response = client.get(f"/exports/{explored.pk}/explore/search/", {"q": query})

    assert response.status_code == 200
    found = row_positions(html(response))
    assert sorted(found) == sorted(
        position_of(explored, name, **fields) for name, fields in matches
    )


def test_a_search_that_matches_nothing_says_so(explored, client, html):
    page = html(client.get(f"/exports/{explored.pk}/explore/search/", {"q": "paella"}))

    assert row_positions(page) == []
    assert page.by_id("no-rows").text == "Nothing matches your search."


def test_a_search_keeps_to_the_days_asked_for(explored, client, html):
    page = html(
        client.get(
            f"/exports/{explored.pk}/explore/search/", {"q": "sourdough", "since": "2024-03-01"}
        )
    )

    assert row_positions(page) == [position_of(explored, "searches", term="Sourdough starter")]


def test_a_table_shows_the_days_asked_for_in_the_persons_time_zone(explored, client, html):
    url = f"/exports/{explored.pk}/explore/data/watch_history/"
    late = [
        position_of(explored, "watch_history", link=video(WATCHED_AT[n], n)["Link"])
        for n in (11, 10, 9)
    ]  # newest first

    on_the_7th_in_utc = html(client.get(url, {"since": "2024-03-07", "until": "2024-03-07"}))
    on_the_6th_in_utc = html(client.get(url, {"since": "2024-03-06", "until": "2024-03-06"}))
    client.cookies["tz"] = "Europe/Berlin"
    on_the_7th_in_berlin = html(client.get(url, {"since": "2024-03-07", "until": "2024-03-07"}))
    from_the_7th_in_berlin = html(client.get(url, {"since": "2024-03-07"}))

    assert row_positions(on_the_7th_in_utc) == []
    assert on_the_7th_in_utc.by_id("no-rows").text == "Nothing in these days."
    assert row_positions(on_the_6th_in_utc) == late[1:]
    assert row_positions(on_the_7th_in_berlin) == late[1:]
    assert row_positions(from_the_7th_in_berlin) == late


@pytest.mark.parametrize(
    "after",
    ["garbage", "~", "1709546400.000000~", "1709546400.000000~-3", "nan~3", "1e400~3",
     "1709546400.000000~12345678901234567890", "x" * 65],
    ids=["words", "separator-only", "no-position", "negative-position", "nan", "overflow",
         "position-too-long", "longer-than-a-cursor"],
)  # fmt: skip
def test_a_forged_or_garbled_page_link_is_refused_with_a_message(explored, client, html, after):
    response = client.get(f"/exports/{explored.pk}/explore/data/watch_history/", {"after": after})

    assert response.status_code == 400
    assert "That page link is broken. Start again from the first page." in html(response).text


@pytest.mark.parametrize("dataset", ["nonsense", "watch-history", "blocked", "logins"])
def test_a_data_set_that_is_unknown_or_not_in_the_export_is_not_found(explored, client, dataset):
    assert client.get(f"/exports/{explored.pk}/explore/data/{dataset}/").status_code == 404


def links_by_time(page) -> dict[str, str | None]:
    """Each row's time and where its "On TikTok" link leads (None: no link)."""
    found = {}
    for row in page.by_id("records").all("tr"):
        if not row.attrs.get("id", "").startswith("row-"):
            continue
        (moment,) = row.all("time")
        anchors = row.all("a")
        found[moment.attrs["datetime"]] = anchors[0].attrs["href"] if anchors else None
    return found


def test_a_rows_link_is_shown_only_for_https_links_to_tiktoks_hosts(explored, client, html):
    likes = html(client.get(f"/exports/{explored.pk}/explore/data/likes/"))
    followers = html(client.get(f"/exports/{explored.pk}/explore/data/followers/"))

    assert links_by_time(likes) == {
        "2024-03-01T15:00:00+00:00": None,  # eviltiktok.com
        "2024-03-01T14:00:00+00:00": None,  # http
        "2024-03-01T13:00:00+00:00": None,  # evil.example
        "2024-03-01T12:00:00+00:00": None,  # javascript:
        "2024-03-01T11:00:00+00:00": "https://vm.tiktok.com/ZMabc123/",
        "2024-03-01T10:00:00+00:00": "https://www.tiktokv.com/share/video/7340000000000000101/",
    }
    hrefs = [anchor.attrs.get("href", "") for anchor in likes.all("a")]
    assert not [href for href in hrefs if "javascript" in href or "evil" in href]
    # A follower's row leads to their profile.
    assert set(links_by_time(followers).values()) == {
        "https://www.tiktok.com/@amara.reads",
        "https://www.tiktok.com/@Carla.Runs",
    }


@pytest.mark.parametrize(
    "link",
    ["https://evil.example\\.tiktok.com/video/1", "https://evil.example\\@www.tiktok.com/video/1"],
    ids=["backslash-before-a-tiktok-suffix", "backslash-before-userinfo"],
)
def test_a_link_that_browsers_read_as_another_host_is_not_shown_as_a_tiktok_link(
    stored_export, person, client, html, link
):
    # Browsers read "\" in an https URL as "/": this link leads to evil.example.
    liked = {"Likes and Favorites": {"Like List": {"ItemFavoriteList": [
        {"date": "2024-03-01 10:00:00", "link": link}
    ]}}}  # fmt: skip
    export = stored_export(person, liked)
    client.force_login(person)

    page = html(client.get(f"/exports/{export.pk}/explore/data/likes/"))

    assert links_by_time(page) == {"2024-03-01T10:00:00+00:00": None}


# -- Comparing with the export before ------------------------------------------------------------

EARLIER = {  # generation A: everything under "Activity"
    "Activity": {
        "Video Browsing History": {
            "VideoList": [video("2024-05-03 20:00:00", 3), video("2024-05-02 20:00:00", 2),
                          video("2024-05-01 20:00:00", 1)]
        },
        "Like List": {"ItemFavoriteList": [
            {"Date": "2024-05-02 21:00:00", "Link": "https://www.tiktokv.com/share/video/1/"},
            {"Date": "2024-05-01 21:00:00", "Link": "https://www.tiktokv.com/share/video/2/"},
        ]},
        "Follower List": {"FansList": [
            {"Date": "2024-01-01 00:00:00", "UserName": "amara.reads"},
            {"Date": "2024-02-01 00:00:00", "UserName": "bo.cooks"},
            {"Date": "2024-03-01 00:00:00", "UserName": "carla.runs"},
        ]},
        "Following List": {"Following": [
            {"Date": "2023-12-01 00:00:00", "UserName": "jonas.bakes"}
        ]},
    }
}  # fmt: skip
LATER = {  # generation C: likes under "Likes and Favorites"
    "Your Activity": {
        "Watch History": {
            "VideoList": [video("2024-08-20 20:00:00", 7), video("2024-08-19 20:00:00", 6),
                          video("2024-08-18 20:00:00", 5), video("2024-05-03 20:00:01", 4),
                          *EARLIER["Activity"]["Video Browsing History"]["VideoList"]]
        },
    },
    "Likes and Favorites": {"Like List": {"ItemFavoriteList": [
        {"Date": "2024-08-19 21:00:00", "Link": "https://www.tiktokv.com/share/video/3/"},
        *EARLIER["Activity"]["Like List"]["ItemFavoriteList"],
    ]}},
    "Profile And Settings": {
        "Follower": {"FansList": [
            {"Date": "2024-01-01 00:00:00", "UserName": "amara.reads"},
            {"Date": "2024-03-01 00:00:00", "UserName": "carla.runs"},
            {"Date": "2024-07-01 00:00:00", "UserName": "dario.sings"},
            {"Date": "2024-08-01 00:00:00", "UserName": "elena.paints"},
        ]},
        "Following": {"Following": [{"Date": "2023-12-01 00:00:00", "UserName": "jonas.bakes"}]},
    },
}  # fmt: skip
JUNE, SEPTEMBER = (dt.datetime(2024, month, 1, 9, tzinfo=dt.UTC) for month in (6, 9))


@pytest.fixture
def two_exports(stored_export, person, client):
    earlier = stored_export(person, EARLIER, created_at=JUNE)
    later = stored_export(person, LATER, created_at=SEPTEMBER)
    client.force_login(person)
    return earlier, later


def names_in(page, section: str, kind: str) -> list[str]:
    lists = page.by_id(section).all("ul", data_kind=kind)
    return [item.text for item in lists[0].all("li")] if lists else []


def test_the_comparison_names_the_followers_gained_and_lost_and_counts_what_is_new(
    two_exports, client, html
):
    earlier, later = two_exports

    page = html(client.get(f"/exports/{later.pk}/explore/compare/"))

    assert names_in(page, "people-followers", "gained") == ["@dario.sings", "@elena.paints"]
    assert names_in(page, "people-followers", "lost") == ["@bo.cooks"]
    assert names_in(page, "people-following", "gained") == []
    assert names_in(page, "people-following", "lost") == []
    assert page.by_id("since-watch_history").attrs["data-count"] == "4"
    assert page.by_id("since-likes").attrs["data-count"] == "1"
    assert page.by_id("since-searches").attrs["data-count"] == "0"
    assert page.all("a", href=f"/exports/{earlier.pk}/explore/")


def test_the_comparison_says_tiktok_moved_the_likes_to_another_section(two_exports, client, html):
    _earlier, later = two_exports

    page = html(client.get(f"/exports/{later.pk}/explore/compare/"))

    sentences = [item.text for item in page.by_id("layout-changes").all("li")]
    assert (
        "TikTok moved your liked videos from “Activity › Like List › ItemFavoriteList” to "
        "“Likes and Favorites › Like List › ItemFavoriteList”."
    ) in sentences
    assert "TikTok's layout changed from generation A to C." in sentences


def test_without_an_earlier_export_of_the_person_the_comparison_says_so(
    two_exports, stored_export, stranger, client, html
):
    earlier, _later = two_exports
    # Someone else's export, made before any of the person's, is not theirs to compare with.
    stored_export(stranger, EARLIER, created_at=JUNE - dt.timedelta(days=30))

    response = client.get(f"/exports/{earlier.pk}/explore/compare/")
    page = html(response)

    assert response.status_code == 200
    assert "There is no earlier export of yours" in page.by_id("no-previous").text
    assert not page.has_id("layout-changes")


def test_a_new_conversation_is_not_reported_as_a_change_in_tiktoks_layout(
    stored_export, person, client, html
):
    def with_conversations(*names: str) -> dict:
        chats = {
            f"Chat History with {name}:": [
                {"Date": "2024-05-01 12:00:00", "From": name, "Content": "hola"}
            ]
            for name in names
        }
        return {"Direct Message": {"Direct Messages": {"ChatHistory": chats}}}

    stored_export(person, with_conversations("amara.reads"), created_at=JUNE)
    later = stored_export(
        person, with_conversations("amara.reads", "bo.cooks"), created_at=SEPTEMBER
    )
    client.force_login(person)

    page = html(client.get(f"/exports/{later.pk}/explore/compare/"))

    assert page.by_id("layout-changes").all("li") == []
    assert "TikTok wrote both archives the same way" in page.by_id("layout-changes").text


# -- Nobody else's -------------------------------------------------------------------------------

EXPLORER_URLS = [
    ("get", "explore/"),
    ("get", "explore/search/?q=sourdough"),
    ("get", "explore/data/watch_history/"),
    ("get", "explore/compare/"),
    ("get", "shares/"),
    ("post", "shares/"),
    ("get", "shares/{share}/"),
    ("get", "shares/{share}/download/"),
    ("post", "shares/{share}/strike/"),
    ("post", "shares/{share}/offer/"),
    ("post", "shares/{share}/delete/"),
]
URL_IDS = [f"{method}-{path}" for method, path in EXPLORER_URLS]


@pytest.fixture
def owners_share(explored, person, client):
    """The person's export with a share of it (one row left out); then nobody signed in."""
    response = client.post(
        f"/exports/{explored.pk}/shares/",
        {"datasets": ["searches", "watch_history"], "file_format": "csv"},
    )
    assert response.status_code == 302
    share = explored.shares.get()
    struck = position_of(explored, "searches", term="sourdough")
    strike = f"/exports/{explored.pk}/shares/{share.pk}/strike/"
    assert client.post(strike, {"position": struck}).status_code == 302
    client.logout()
    share.refresh_from_db()
    return explored, share


def request_as_visitor(client, method: str, path: str, export, share):
    """What a visitor sends to the URL: a POST carries what the owner's form would."""
    url = f"/exports/{export.pk}/" + path.format(share=share.pk)
    if method == "get":
        return client.get(url)
    data = {
        "shares/": {"datasets": ["searches"], "file_format": "json"},
        "shares/{share}/strike/": {"position": str(share.struck[0]), "restore": "1"},
        "shares/{share}/offer/": {"token": ""},
        "shares/{share}/delete/": {},
    }[path]
    return client.post(url, data)


@pytest.mark.parametrize(("method", "path"), EXPLORER_URLS, ids=URL_IDS)
def test_another_person_gets_not_found_on_every_explorer_url(
    owners_share, stranger, client, method, path
):
    export, share = owners_share
    client.force_login(stranger)

    response = request_as_visitor(client, method, path, export, share)

    assert response.status_code == 404
    after = export.shares.get()
    assert (after.pk, after.struck, after.offered_to_id) == (share.pk, share.struck, None)


@pytest.mark.parametrize(("method", "path"), EXPLORER_URLS, ids=URL_IDS)
def test_a_signed_out_visitor_is_sent_to_sign_in_from_every_explorer_url(
    owners_share, client, method, path
):
    export, share = owners_share

    response = request_as_visitor(client, method, path, export, share)

    assert response.status_code == 302
    assert response["Location"].startswith("/?next=")
    assert export.shares.get().struck == share.struck


def test_another_persons_share_is_not_found_under_ones_own_export(
    owners_share, stored_export, stranger, client
):
    export, share = owners_share
    own = stored_export(stranger, DOCUMENT)
    client.force_login(stranger)

    for suffix in ("", "download/"):
        assert client.get(f"/exports/{own.pk}/shares/{share.pk}/{suffix}").status_code == 404
    struck = client.post(f"/exports/{own.pk}/shares/{share.pk}/strike/", {"position": "0"})
    deleted = client.post(f"/exports/{own.pk}/shares/{share.pk}/delete/")

    assert (struck.status_code, deleted.status_code) == (404, 404)
    assert export.shares.get().struck == share.struck


def test_the_overview_service_reads_only_the_export_it_is_given(explored, stored_export, stranger):
    # Two people's exports side by side: each overview counts its own records only.
    other = stored_export(stranger, MANY)
    period = explorer.Period()

    mine = explorer.overview_of(explored, explored.reading, period, TEN_MINUTES)
    theirs = explorer.overview_of(other, other.reading, period, TEN_MINUTES)

    assert mine.counts["likes"] == 6
    assert theirs.counts == {"likes": 130}
