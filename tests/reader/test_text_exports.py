"""Text exports: a tree of `.txt` files of `Key: value` blocks, in English (December 2024 and
2026 trees) or Dutch, possibly renamed by Google Drive, possibly in a language the reader does
not know."""

from __future__ import annotations

import datetime as dt

from tests.reader.archives import blocks, counts, joined, of, read_text, section
from tests.reader.documents import DUTCH, ENGLISH_2024, ENGLISH_2026, LINK, LINK2, watched


def test_the_english_december_2024_tree_is_read_into_its_data_sets() -> None:
    reading, records = read_text(ENGLISH_2024)

    assert counts(records) == {
        "watch_history": 2,
        "comments": 1,
        "followers": 2,
        "following": 1,
        "likes": 1,
        "favorite_videos": 1,
        "searches": 1,
        "logins": 1,
        "direct_messages": 1,
        "posts": 1,
        "profile": 1,
        "live_watched": 1,
    }
    assert (reading.format, reading.layout.format) == ("text", "text")
    assert (reading.layout.generation, reading.layout.language) == ("B", "en")


def test_english_text_fields_are_under_the_sites_names() -> None:
    _, records = read_text(ENGLISH_2024)

    assert of(records, "followers")[1].fields == {"username": "bob.smith"}
    assert of(records, "searches")[0].fields == {"term": "cat"}
    assert of(records, "logins")[0].fields == {"ip": "192.0.2.1", "device_model": "Pixel 8"}
    assert of(records, "profile")[0].fields == {"username": "me", "bio": "hello"}
    assert of(records, "live_watched")[0].occurred_at == dt.datetime(
        2024, 12, 1, 21, 0, tzinfo=dt.UTC
    )


def test_a_text_record_keeps_its_path_without_the_root_folder_as_source() -> None:
    _, records = read_text(ENGLISH_2024)

    first = of(records, "watch_history")[0]
    assert first.source == joined("Activity", "Browsing History")
    assert first.raw_date == "2024-12-01 10:00:00 UTC"
    assert first.occurred_at == dt.datetime(2024, 12, 1, 10, 0, tzinfo=dt.UTC)
    assert first.fields == {"link": LINK}


def test_a_section_saying_it_has_no_data_is_listed_with_no_items() -> None:
    reading, records = read_text(ENGLISH_2024)

    shares = section(reading, "Activity", "Share History")
    assert (shares.dataset, shares.items) == ("shares", 0)
    assert of(records, "shares") == []
    # A file the catalog does not know but that holds only the sentence is not unrecognized.
    assert section(reading, "TikTok Shopping", "Order History").items == 0
    assert reading.sections.unrecognized() == []


def test_the_english_2026_tree_is_read_into_its_data_sets() -> None:
    reading, records = read_text(ENGLISH_2026)

    assert counts(records) == {
        "comments": 1,
        "likes": 1,
        "favorite_videos": 1,
        "watch_history": 3,
        "reposts": 1,
        "following": 2,
    }
    assert (reading.layout.generation, reading.layout.language) == ("C", "en")
    assert of(records, "reposts")[0].occurred_at == dt.datetime(2026, 3, 1, 9, 2, tzinfo=dt.UTC)


def test_the_dutch_tree_is_read_into_its_data_sets() -> None:
    reading, records = read_text(DUTCH)

    assert counts(records) == {
        "watch_history": 2,
        "favorite_videos": 1,
        "followers": 1,
        "following": 2,
        "likes": 1,
        "profile": 1,
    }
    assert reading.layout.language == "nl"
    assert reading.layout.generation == "C"
    assert of(records, "watch_history")[1].occurred_at == dt.datetime(
        2026, 3, 1, 9, 0, 40, tzinfo=dt.UTC
    )


def test_a_dutch_section_saying_it_has_no_data_is_listed_with_no_items() -> None:
    reading, records = read_text(DUTCH)

    comments = section(reading, "Je activiteit", "Reacties")
    assert (comments.dataset, comments.items) == ("comments", 0)
    assert of(records, "comments") == []


def test_n_v_t_is_empty_in_a_dutch_export() -> None:
    _, records = read_text(DUTCH)

    assert of(records, "profile")[0].fields == {"Gebruikersnaam": "ik"}


def test_a_file_renamed_by_google_drive_is_still_known() -> None:
    files = {"TikTok/Je activiteit/Favoriete video_s.txt": watched("2026-03-01 09:05:00")}

    reading, records = read_text(files)

    assert counts(records) == {"favorite_videos": 1}
    assert section(reading, "Je activiteit", "Favoriete video_s").dataset == "favorite_videos"


def test_a_lower_case_tiktok_root_folder_is_the_root() -> None:
    reading, records = read_text(
        {"Tiktok/Your Activity/Watch History.txt": watched("2026-03-01 09:00:00")}
    )

    assert records[0].source == joined("Your Activity", "Watch History")
    assert reading.layout.generation == "C"


def test_a_tree_without_a_root_folder_is_read_as_well() -> None:
    _, records = read_text({"Activity/Like List.txt": watched("2024-12-01 10:00:10")})

    assert counts(records) == {"likes": 1}


def test_direct_messages_in_one_file_are_split_by_conversation_with_multi_line_messages() -> None:
    text = (
        "Chat History with bob.smith:\n"
        "Date: 2024-12-02 18:00:00 UTC\nFrom: bob.smith\nContent: hi there\nhow are you\n\n"
        "Date: 2024-12-02 18:01:00 UTC\nFrom: me\nContent: fine\n\n"
        "Chat History with carol.w:\n\n"
        "Date: 2024-12-03 18:00:00 UTC\nFrom: carol.w\nContent: look at this\n"
        "https://www.tiktokv.com/share/video/7300000000000000001/\n"
    )

    reading, records = read_text({"TikTok/Direct Messages/Direct Messages.txt": text})

    assert [(r.fields["conversation"], r.fields["sender"], r.fields["text"]) for r in records] == [
        ("bob.smith", "bob.smith", "hi there\nhow are you"),
        ("bob.smith", "me", "fine"),
        ("carol.w", "carol.w", f"look at this\n{LINK}"),
    ]
    assert section(reading, "Direct Messages", "Direct Messages").items == 3


def test_a_conversation_heading_right_below_a_message_starts_a_new_conversation() -> None:
    text = (
        "Chat History with bob:\nDate: 2024-12-02 18:00:00 UTC\nFrom: bob\nContent: hi\n"
        "Chat History with carol:\nDate: 2024-12-03 18:00:00 UTC\nFrom: carol\nContent: yo\n"
    )

    _, records = read_text({"TikTok/Direct Messages/Direct Messages.txt": text})

    assert [(r.fields["conversation"], r.fields["text"]) for r in records] == [
        ("bob", "hi"),
        ("carol", "yo"),
    ]


def test_direct_messages_in_a_file_per_chat_are_named_for_the_chat() -> None:
    files = {
        "TikTok/Direct Messages/Chat History with bob.smith.txt": blocks(
            {"Date": "2024-12-02 18:00:00 UTC", "From": "bob.smith", "Content": "hi"},
            {"Date": "2024-12-02 18:01:00 UTC", "From": "me", "Content": "hey"},
        ),
        "TikTok/Direct Messages/Chat History with carol.txt": blocks(
            {"Date": "2024-12-03 18:00:00 UTC", "From": "carol", "Content": "yo"}
        ),
    }

    reading, records = read_text(files)

    assert [(r.fields["conversation"], r.fields["text"]) for r in records] == [
        ("bob.smith", "hi"),
        ("bob.smith", "hey"),
        ("carol", "yo"),
    ]
    assert section(reading, "Direct Messages", "Chat History with bob.smith").items == 2
    assert reading.layout.language == "en"


def test_an_export_in_another_language_is_read_without_failing_into_unrecognized_files() -> None:
    files = {
        "TikTok/Deine Aktivität/Wiedergabeverlauf.txt": blocks(
            {"Zeitpunkt": "2026-03-01 09:00:00 UTC", "Verknüpfung": LINK},
            {"Zeitpunkt": "2026-03-01 09:00:40 UTC", "Verknüpfung": LINK2},
            {"Zeitpunkt": "2026-03-01 09:01:30 UTC", "Verknüpfung": LINK},
        ),
        "TikTok/Deine Aktivität/Gefällt mir.txt": blocks(
            {"Zeitpunkt": "2026-03-01 09:00:10 UTC", "Verknüpfung": LINK}
        ),
        "TikTok/Deine Aktivität/Kommentare.txt": "Du hast in diesem Bereich keine Daten",
    }

    reading, records = read_text(files)

    assert records == []
    assert reading.layout.language == "unknown"
    assert reading.layout.format == "text"
    assert {(s.path, s.items) for s in reading.sections.unrecognized()} == {
        (joined("Deine Aktivität", "Wiedergabeverlauf"), 3),
        (joined("Deine Aktivität", "Gefällt mir"), 1),
    }
    assert section(reading, "Deine Aktivität", "Kommentare").items == 0


def test_the_language_is_that_of_most_known_files() -> None:
    files = {**DUTCH, "TikTok/Your Activity/Watch History.txt": watched("2026-03-01 09:00:00")}

    reading, _ = read_text(files)

    assert reading.layout.language == "nl"


def test_the_layout_says_the_same_each_time_it_is_asked() -> None:
    """Three English files, one Dutch one whose blocks also say `Datum`: English, every time."""
    files = {
        "TikTok/Your Activity/Watch History.txt": watched("2026-03-01 09:00:00"),
        "TikTok/Your Activity/Like List.txt": watched("2026-03-01 09:00:00"),
        "TikTok/Your Activity/Favorite Videos.txt": watched("2026-03-01 09:00:00"),
        "TikTok/Je activiteit/Kijkgeschiedenis.txt": watched(
            "2026-03-01 09:00:00", date_key="Datum"
        ),
    }
    reading, _ = read_text(files)

    assert [reading.layout for _ in range(3)] == [reading.layout] * 3
    assert reading.layout.language == "en"


def test_the_oldest_text_tree_is_gen_a() -> None:
    reading, records = read_text(
        {"TikTok/Activity/Video Browsing History.txt": watched("2024-05-01 20:00:00")}
    )

    assert counts(records) == {"watch_history": 1}
    assert reading.layout.generation == "A"


def test_a_text_block_of_nothing_but_placeholders_is_no_record() -> None:
    text = blocks(
        {"Date": "N/A", "Link": "None"}, {"Date": "2026-03-01 09:00:00 UTC", "Link": LINK}
    )

    reading, records = read_text({"TikTok/Your Activity/Watch History.txt": text})

    assert len(records) == 1
    assert section(reading, "Your Activity", "Watch History").items == 1


def test_windows_line_ends_and_a_byte_order_mark_are_read() -> None:
    text = "\ufeff" + watched("2026-03-01 09:00:00", "2026-03-01 09:01:00").replace("\n", "\r\n")

    _, records = read_text({"TikTok/Your Activity/Watch History.txt": text})

    assert [r.fields for r in records] == [{"link": LINK}, {"link": LINK}]
    assert records[0].raw_date == "2026-03-01 09:00:00 UTC"


def test_a_file_with_an_upper_case_extension_is_still_known() -> None:
    _, records = read_text(
        {"TikTok/Your Activity/Watch History.TXT": watched("2026-03-01 09:00:00")}
    )

    assert counts(records) == {"watch_history": 1}
