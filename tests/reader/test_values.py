"""What is inside the records: the keys TikTok has used for one field, the forms its dates
take, and the many ways it says "empty"."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from exports.reader import ArchiveReading, Record
from tests.reader.archives import nest, read_json, read_text, section

WATCH = ("Your Activity", "Watch History", "VideoList")
LIKES = ("Your Activity", "Like List", "ItemFavoriteList")
COMMENTS = ("Comment", "Comments", "CommentsList")
PROFILE = ("Profile", "Profile Info", "ProfileMap")
LINK = "https://www.tiktokv.com/share/video/7300000000000000001/"
MOMENT = dt.datetime(2024, 11, 2, 10, 11, 12, tzinfo=dt.UTC)


def read_items(path: tuple[str, ...], items: list[Any]) -> tuple[ArchiveReading, list[Record]]:
    return read_json(nest(path, items))


@pytest.mark.parametrize("key", ["Date", "date", "DATE"])
def test_the_date_is_found_under_any_case_of_its_key(key: str) -> None:
    _, records = read_items(LIKES, [{key: "2024-11-02 10:11:12", "Link": LINK}])

    assert records[0].occurred_at == MOMENT
    assert records[0].fields == {"link": LINK}


@pytest.mark.parametrize(
    "key",
    ["Link", "link", "VideoLink", "Video Link", "Url", "originalPostUrl", "Original Post Link"],
)
def test_the_link_is_found_under_every_key_tiktok_has_used(key: str) -> None:
    _, records = read_items(COMMENTS, [{"Date": "2024-11-02 10:11:12", key: LINK}])

    assert records[0].fields == {"link": LINK}


@pytest.mark.parametrize("key", ["Comment", "comment"])
def test_the_comment_text_is_found_under_either_case(key: str) -> None:
    _, records = read_items(COMMENTS, [{"date": "2024-11-02 10:11:12", key: "nice"}])

    assert records[0].fields == {"text": "nice"}


def test_of_two_link_keys_the_first_with_a_value_wins() -> None:
    item = {"date": "2024-11-02 10:11:12", "originalPostUrl": "N/A", "original post link": LINK}

    _, records = read_items(COMMENTS, [item])

    assert records[0].fields == {"link": LINK}


def test_a_key_the_catalog_does_not_name_is_kept_under_tiktoks_key() -> None:
    _, records = read_items(WATCH, [{"Date": "2024-11-02 10:11:12", "Link": LINK, "Extra": 3}])

    assert records[0].fields == {"link": LINK, "Extra": 3}


def test_nested_values_in_an_item_are_kept_whole() -> None:
    item = {"Date": "2024-11-02 10:11:12", "Link": LINK, "Stats": {"plays": 3, "tags": ["a"]}}

    _, records = read_items(WATCH, [item])

    assert records[0].fields["Stats"] == {"plays": 3, "tags": ["a"]}


@pytest.mark.parametrize(
    ("raw", "moment"),
    [
        pytest.param("2024-11-02 10:11:12", MOMENT, id="tiktok-form"),
        pytest.param("2024-11-02 10:11:12 UTC", MOMENT, id="utc-suffix"),
        pytest.param("2024-11-02T10:11:12Z", MOMENT, id="iso-z"),
        pytest.param("2024-11-02T10:11:12.500Z", MOMENT.replace(microsecond=500000), id="iso-ms"),
        pytest.param("2024-11-02T12:11:12+02:00", MOMENT, id="iso-offset"),
        pytest.param("2024-11-02 05:11:12-05:00", MOMENT, id="space-offset"),
        pytest.param(1730542272, MOMENT, id="epoch-seconds"),
        pytest.param(1730542272000, MOMENT, id="epoch-milliseconds"),
        pytest.param("1730542272", MOMENT, id="epoch-seconds-string"),
        pytest.param("1730542272000", MOMENT, id="epoch-milliseconds-string"),
    ],
)
def test_every_date_form_names_its_utc_moment(raw: Any, moment: dt.datetime) -> None:
    _, records = read_items(WATCH, [{"Date": raw, "Link": LINK}])

    (record,) = records
    assert record.occurred_at == moment
    assert record.occurred_at.utcoffset() == dt.timedelta(0)
    assert record.raw_date == str(raw)


@pytest.mark.parametrize(
    "raw",
    ["yesterday", "2024-13-45 10:11:12", "02/11/2024 10:11", "not a date at all!!", 12, True],
)
def test_a_date_that_names_no_moment_keeps_its_raw_form(raw: Any) -> None:
    _, records = read_items(WATCH, [{"Date": raw, "Link": LINK}])

    (record,) = records
    assert record.raw_date == str(raw)
    assert record.occurred_at is None
    assert record.fields == {"link": LINK}


def test_dates_in_a_single_record_section_are_parsed_too() -> None:
    _, records = read_json(nest(PROFILE, {"userName": "me", "Date": "2024-11-02T10:11:12Z"}))

    assert records[0].occurred_at == MOMENT


@pytest.mark.parametrize("empty", [None, [], {}, "", "N/A", "None", "n.v.t.", "null", " "])
def test_a_list_section_present_but_empty_is_listed_with_no_items(empty: Any) -> None:
    reading, records = read_json(nest(WATCH, empty))

    assert records == []
    found = section(reading, *WATCH)
    assert (found.dataset, found.items) == ("watch_history", 0)
    assert reading.sections.unrecognized() == []


@pytest.mark.parametrize(
    "empty",
    [None, {}, "", "N/A", {"userName": "N/A", "bioDescription": "", "PlatformInfo": []}],
    ids=["null", "empty-map", "empty-string", "n/a", "map-of-placeholders"],
)
def test_a_record_section_of_nothing_gives_no_record(empty: Any) -> None:
    reading, records = read_json(nest(PROFILE, empty))

    assert records == []
    assert section(reading, *PROFILE).items == 0


@pytest.mark.parametrize("empty", [None, "", "N/A", "None", "n.v.t.", [], {}])
def test_placeholder_fields_are_left_out_of_a_record(empty: Any) -> None:
    _, records = read_items(WATCH, [{"Date": "2024-11-02 10:11:12", "Link": LINK, "Title": empty}])

    assert records[0].fields == {"link": LINK}


def test_an_item_of_nothing_but_placeholders_is_no_record() -> None:
    items = [{"Date": "N/A", "Link": ""}, {"Date": None}, {}, {"Date": "2024-11-02 10:11:12"}]

    reading, records = read_items(WATCH, items)

    assert [r.raw_date for r in records] == ["2024-11-02 10:11:12"]
    assert section(reading, *WATCH).items == 1


def test_null_and_placeholder_items_of_a_list_are_no_records() -> None:
    reading, records = read_items(WATCH, [None, "N/A", [], {"Date": "2024-11-02 10:11:12"}])

    assert len(records) == 1
    assert section(reading, *WATCH).items == 1


def test_a_section_null_one_level_up_is_listed_as_its_data_set_with_no_items() -> None:
    """PanoptiCool's empty sample forces `{"Your Activity": {"Searches": null}}`."""
    reading, records = read_json({"Your Activity": {"Searches": None, "Watch History": {}}})

    assert records == []
    searches = section(reading, "Your Activity", "Searches")
    assert (searches.dataset, searches.items) == ("searches", 0)
    watch = section(reading, "Your Activity", "Watch History")
    assert (watch.dataset, watch.items) == ("watch_history", 0)


def test_every_record_keeps_its_source_joined_with_angle_quotes_its_raw_date_and_utc_moment() -> (
    None
):
    _, records = read_items(WATCH, [{"Date": "2024-11-02 12:11:12+02:00", "Link": LINK}])

    (record,) = records
    assert record.source == "Your Activity › Watch History › VideoList"
    assert record.raw_date == "2024-11-02 12:11:12+02:00"
    assert record.occurred_at.tzinfo is not None
    assert record.occurred_at.tzinfo == dt.UTC


def test_the_reposts_creation_time_is_their_date() -> None:
    text = f"Creation Time: 2024-11-02 10:11:12 UTC\nLink: {LINK}"

    _, records = read_text({"TikTok/Your Activity/Reposts.txt": text})

    assert records[0].occurred_at == MOMENT
    assert records[0].fields == {"link": LINK}


def test_the_dutch_datum_is_the_date() -> None:
    text = f"Datum: 2024-11-02 10:11:12 UTC\nLink: {LINK}"

    _, records = read_text({"TikTok/Je activiteit/Kijkgeschiedenis.txt": text})

    assert records[0].raw_date == "2024-11-02 10:11:12 UTC"
    assert records[0].occurred_at == MOMENT
