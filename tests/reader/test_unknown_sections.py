"""Sections the reader does not know (TikTok changed something) are never dropped: they are
listed as unrecognized with what they hold, and the known ones around them are still read."""

from __future__ import annotations

from tests.reader.archives import counts, joined, nest, read_json, section
from tests.reader.documents import EXPECTED, gen_b

MYSTERY = ("Your Activity", "Mystery Feature", "MysteryList")


def with_mystery(value: object) -> dict:
    document = gen_b()
    document["Your Activity"]["Mystery Feature"] = {"MysteryList": value}
    return document


def test_an_unknown_list_section_is_unrecognized_with_its_item_count() -> None:
    items = [{"Date": "2025-01-01 10:00:00", "Thing": n} for n in range(4)]

    reading, records = read_json(with_mystery(items))

    (mystery,) = reading.sections.unrecognized()
    assert (mystery.path, mystery.items) == (
        joined("Your Activity", "Mystery Feature", "MysteryList"),
        4,
    )
    assert not mystery.recognized
    assert counts(records) == EXPECTED["B"]


def test_placeholder_items_of_an_unknown_list_are_not_counted() -> None:
    reading, _ = read_json(nest(MYSTERY, [{"a": 1}, None, "N/A", {"b": ""}, [1]]))

    assert section(reading, *MYSTERY).items == 2


def test_an_unknown_top_level_key_with_a_scalar_is_unrecognized() -> None:
    document = {**gen_b(), "Brand New Thing": "enabled"}

    reading, records = read_json(document)

    assert [(s.path, s.items) for s in reading.sections.unrecognized()] == [("Brand New Thing", 1)]
    assert counts(records) == EXPECTED["B"]


def test_an_unknown_deep_section_is_counted_at_the_catalogs_depth() -> None:
    document = nest(("Your Activity", "New", "NewMap", "Inner"), [{"x": 1}, {"x": 2}])

    reading, _ = read_json(document)

    assert [(s.path, s.items) for s in reading.sections.unrecognized()] == [
        (joined("Your Activity", "New", "NewMap"), 1)
    ]


def test_a_list_at_the_second_level_is_an_unknown_section() -> None:
    reading, _ = read_json({"Your Activity": {"Mystery": [{"a": 1}, {"b": 2}, {"c": 3}]}})

    assert [(s.path, s.items) for s in reading.sections.unrecognized()] == [
        (joined("Your Activity", "Mystery"), 3)
    ]


def test_unknown_empty_sections_are_listed_but_not_unrecognized() -> None:
    document = {
        "Your Activity": {
            "Empty List": {"List": []},
            "Null": {"List": None},
            "Placeholders": {"Map": {"a": "N/A", "b": None, "c": [], "d": {"e": ""}}},
            "Nothing": None,
            "Empty Map": {},
        },
        "TikTok Shop": None,
    }

    reading, records = read_json(document)

    assert records == []
    assert reading.sections.unrecognized() == []
    for path in (
        ("Your Activity", "Empty List", "List"),
        ("Your Activity", "Null", "List"),
        ("Your Activity", "Placeholders", "Map"),
        ("Your Activity", "Nothing"),
        ("Your Activity", "Empty Map"),
        ("TikTok Shop",),
    ):
        assert section(reading, *path).items == 0


def test_a_scalar_beside_an_unknown_list_is_still_a_section() -> None:
    """Only beside a known data set's list is `App` TikTok's bookkeeping."""
    reading, _ = read_json(nest(("Your Activity", "New Thing"), {"App": 1, "Things": [1, 2]}))

    assert {(s.path, s.items) for s in reading.sections.unrecognized()} == {
        (joined("Your Activity", "New Thing", "App"), 1),
        (joined("Your Activity", "New Thing", "Things"), 2),
    }


def test_an_unknown_section_beside_a_known_one_leaves_the_known_one_alone() -> None:
    document = nest(("Your Activity", "Watch History"), {
        "VideoList": [{"Date": "2025-01-01 10:00:00", "Link": "x"}],
        "VideoListV2": [{"Date": "2025-01-01 10:00:00", "Link": "y"}],
    })  # fmt: skip

    reading, records = read_json(document)

    assert counts(records) == {"watch_history": 1}
    assert [(s.path, s.items) for s in reading.sections.unrecognized()] == [
        (joined("Your Activity", "Watch History", "VideoListV2"), 1)
    ]
