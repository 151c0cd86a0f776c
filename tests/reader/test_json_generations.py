"""Every data set of every generation of the JSON export, at every path the catalog knows and
in hand-written documents of Gen A, B and C."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from exports.reader import BY_NAME, DATASET_NAMES, DATASETS, PATH_SEPARATOR, Dataset
from exports.reader.catalog import Shape
from tests.reader.archives import counts, joined, nest, of, read_json, section
from tests.reader.documents import DOCUMENTS, EMPTY_SECTIONS, EXPECTED, gen_a, gen_b, gen_c

CATALOG_PATHS = [
    pytest.param(dataset, path, id=f"{dataset.name}:{joined(*path)}")
    for dataset in DATASETS
    for path in dataset.json_paths
]
ITEM = {"Date": "2024-11-02 10:11:12", "Link": "https://www.tiktokv.com/share/video/1/"}


def two_items_for(dataset: Dataset) -> Any:
    """A section value of `dataset`'s shape holding two records (one for a single-record set)."""
    if dataset.shape == Shape.LIST:
        return [ITEM, {**ITEM, "Date": "2024-11-02 10:11:13"}]
    if dataset.shape == Shape.LISTS_BY_KEY:
        return {"Chat History with bob:": [ITEM], "Chat History with carol:": [ITEM]}
    if dataset.shape == Shape.RECORDS_BY_KEY:
        return {"7301234567890123456": ITEM, "7301234567890123457": ITEM}
    return {"Date": "2024-11-02 10:11:12", "Some Setting": "on"}


@pytest.mark.parametrize(("dataset", "path"), CATALOG_PATHS)
def test_each_catalog_path_of_each_data_set_gives_its_records(dataset: Dataset, path) -> None:
    reading, records = read_json(nest(path, two_items_for(dataset)))

    expected = 1 if dataset.shape == Shape.RECORD else 2
    assert counts(records) == {dataset.name: expected}
    assert all(record.source.startswith(joined(*path)) for record in records)
    assert sum(s.items for s in reading.sections if s.dataset == dataset.name) == expected
    assert reading.sections.unrecognized() == []


@pytest.mark.parametrize("generation", ["A", "B", "C"])
def test_a_hand_written_document_of_each_generation_gives_its_records_per_data_set(
    generation: str,
) -> None:
    reading, records = read_json(DOCUMENTS[generation]())

    assert counts(records) == EXPECTED[generation]
    assert reading.layout.generation == generation
    assert (reading.layout.format, reading.layout.language, reading.format) == (
        "json",
        "en",
        "json",
    )


@pytest.mark.parametrize("generation", ["A", "B", "C"])
def test_a_generation_document_holds_no_unrecognized_section(generation: str) -> None:
    """Everything in them is in the catalog, or null (the shop, the wallet), or the `App` and
    `IsFastLane` scalars TikTok puts beside a list: none of it is TikTok changing something."""
    reading, _ = read_json(DOCUMENTS[generation]())

    assert reading.sections.unrecognized() == []


@pytest.mark.parametrize("generation", ["A", "B", "C"])
def test_a_generation_document_lists_its_empty_sections_with_no_items(generation: str) -> None:
    reading, records = read_json(DOCUMENTS[generation]())

    for path in EMPTY_SECTIONS[generation]:
        found = section(reading, *path)
        assert found.recognized
        assert found.items == 0
        assert not [r for r in records if r.source == joined(*path)]


@pytest.mark.parametrize("generation", ["A", "B", "C"])
def test_section_item_counts_add_up_to_the_records(generation: str) -> None:
    reading, records = read_json(DOCUMENTS[generation]())

    by_source: dict[str, int] = {}
    for record in records:
        by_source[record.source] = by_source.get(record.source, 0) + 1
    listed = {s.path: s.items for s in reading.sections if s.recognized and s.items}
    assert listed == by_source


def test_gen_a_is_told_apart_by_activity_even_without_video_or_shopping() -> None:
    reading, _ = read_json({"Activity": {"Like List": {"ItemFavoriteList": [ITEM]}}})

    assert reading.layout.generation == "A"


def test_gen_c_is_told_apart_although_it_also_has_your_activity() -> None:
    document = {"Your Activity": gen_c()["Your Activity"], "Likes and Favorites": {}}

    reading, _ = read_json(document)

    assert reading.layout.generation == "C"


def test_a_document_with_no_known_top_level_key_has_an_unknown_generation() -> None:
    reading, records = read_json({"Something New": {"Whatever": {"List": [1, 2]}}})

    assert records == []
    assert reading.layout.generation == "unknown"


def test_a_gen_a_watch_item_with_video_link_is_read() -> None:
    _, records = read_json(gen_a())

    first = of(records, "watch_history")[0]
    assert first.fields == {"link": "https://www.tiktokv.com/share/video/7300000000000000001/"}
    assert first.raw_date == "2024-05-01 20:00:01"
    assert first.occurred_at == dt.datetime(2024, 5, 1, 20, 0, 1, tzinfo=dt.UTC)
    assert first.source == joined("Activity", "Video Browsing History", "VideoList")


def test_a_gen_b_like_list_with_lowercase_date_and_link_is_read() -> None:
    _, records = read_json(gen_b())

    likes = of(records, "likes")
    assert [r.fields["link"] for r in likes] == [
        "https://www.tiktokv.com/share/video/7300000000000000001/",
        "https://www.tiktokv.com/share/video/7300000000000000003/",
    ]
    assert [r.raw_date for r in likes] == ["2024-12-01 10:00:10", "2024-12-01 10:01:30"]
    assert likes[0].occurred_at == dt.datetime(2024, 12, 1, 10, 0, 10, tzinfo=dt.UTC)


def test_a_gen_c_comment_with_lowercase_keys_and_a_utc_suffix_is_read() -> None:
    _, records = read_json(gen_c())

    comments = of(records, "comments")
    assert [c.fields for c in comments] == [
        {"text": "first!", "link": "https://www.tiktokv.com/share/video/7300000000000000011/"},
        {"text": "same", "link": "https://www.tiktokv.com/share/video/7300000000000000012/"},
    ]
    assert comments[0].raw_date == "2026-01-10 10:00:00 UTC"
    assert comments[0].occurred_at == dt.datetime(2026, 1, 10, 10, 0, tzinfo=dt.UTC)


def test_gen_c_watch_items_keep_their_title_unless_it_is_a_placeholder() -> None:
    _, records = read_json(gen_c())

    titles = [r.fields.get("title") for r in of(records, "watch_history")]
    assert titles == ["a cat", "a dog", None, None]


def test_followers_and_logins_are_under_the_sites_field_names() -> None:
    _, records = read_json(gen_a())

    assert [r.fields for r in of(records, "followers")] == [
        {"username": "alice"},
        {"username": "bob.smith"},
    ]
    assert of(records, "logins")[0].fields == {
        "ip": "192.0.2.10",
        "device_model": "iPhone14,2",
        "device_system": "iOS 17.4",
        "network_type": "Wi-Fi",
    }
    assert of(records, "searches")[1].fields == {"term": "dogs"}
    assert of(records, "favorite_effects")[0].fields == {"link": "https://www.tiktok.com/e/1"}


def test_the_profile_map_is_one_record_without_its_placeholders() -> None:
    _, records = read_json(gen_a())

    (profile,) = of(records, "profile")
    assert profile.fields == {
        "username": "me",
        "bio": "hello",
        "birth_date": "01-Jan-2000",
        "email": "me@example.com",
        "likes_received": "12",
    }
    assert profile.raw_date == ""
    assert profile.occurred_at is None
    assert profile.source == joined("Profile", "Profile Information", "ProfileMap")


def test_gen_c_profile_has_display_name_and_region() -> None:
    _, records = read_json(gen_c())

    (profile,) = of(records, "profile")
    assert profile.fields == {
        "username": "me",
        "display_name": "Me Myself",
        "region": "NL",
        "followerCount": 3,
    }


def test_the_gen_c_settings_map_keeps_its_malformed_key() -> None:
    _, records = read_json(gen_c())

    (settings,) = of(records, "settings")
    assert settings.fields["Who can see your following list::"] == "Only me"


def test_ad_interests_written_as_one_string_are_one_record() -> None:
    _, records = read_json(gen_a())

    (interests,) = of(records, "ad_interests")
    assert interests.fields == {"categories": "Food & Drink | Travel"}


def test_off_tiktok_activity_is_dated_by_its_timestamp() -> None:
    _, records = read_json(gen_a())

    (event,) = of(records, "off_tiktok_activity")
    assert event.occurred_at == dt.datetime(2024, 4, 20, 10, 0, tzinfo=dt.UTC)
    assert event.fields == {"source": "shop.example", "event": "Pay"}


def test_direct_messages_are_grouped_by_conversation_whose_name_has_dots() -> None:
    _, records = read_json(gen_a())

    messages = of(records, "direct_messages")
    assert [(m.fields["conversation"], m.fields["text"]) for m in messages] == [
        ("bob.smith", "hi"),
        ("bob.smith", "hello"),
        ("carol", "look"),
    ]
    assert messages[0].fields["sender"] == "bob.smith"
    assert messages[0].source == (
        joined("Direct Messages", "Chat History", "ChatHistory", "Chat History with bob.smith:")
    )


def test_each_conversation_is_a_section_counting_its_messages() -> None:
    reading, _ = read_json(gen_c())

    base = ("Direct Message", "Direct Messages", "ChatHistory")
    assert section(reading, *base, "Chat History with bob.smith:").items == 1
    assert section(reading, *base, "Chat History with carol:").items == 2


def test_the_live_watch_map_keyed_by_id_gives_live_id() -> None:
    reading, records = read_json(gen_c())

    lives = of(records, "live_watched")
    assert [r.fields["live_id"] for r in lives] == ["7301234567890123456", "7301234567890123457"]
    assert lives[0].fields["link"] == "https://www.tiktok.com/@host/live"
    assert lives[0].occurred_at == dt.datetime(2026, 1, 1, 21, 0, tzinfo=dt.UTC)
    # One LIVE is a record of the map, not a section of its own.
    assert {r.source for r in lives} == {
        joined("TikTok Live", "Watch Live History", "WatchLiveMap")
    }
    assert section(reading, "TikTok Live", "Watch Live History", "WatchLiveMap").items == 2


def test_direct_messages_written_as_one_list_are_still_read() -> None:
    document = nest(
        ("Direct Message", "Direct Messages", "ChatHistory"),
        [{"Date": "2024-11-02 10:11:12", "From": "bob", "Content": "hi"}],
    )

    _, records = read_json(document)

    assert [r.fields for r in records] == [{"sender": "bob", "text": "hi"}]


def test_an_app_and_is_fast_lane_beside_a_list_are_no_sections_of_their_own() -> None:
    reading, records = read_json(gen_b())

    last_parts = {s.path.rsplit(PATH_SEPARATOR, 1)[-1] for s in reading.sections}
    assert not last_parts & {"App", "IsFastLane"}
    assert len(of(records, "followers")) == 2


def test_an_empty_wallet_or_shop_is_listed_but_not_unrecognized() -> None:
    reading, _ = read_json(gen_b())

    assert section(reading, "Income Plus Wallet Transactions").items == 0
    assert not section(reading, "Income Plus Wallet Transactions").recognized


def test_the_catalog_names_each_data_set_once_in_its_order() -> None:
    assert tuple(BY_NAME) == DATASET_NAMES
    assert len(set(DATASET_NAMES)) == len(DATASETS)
