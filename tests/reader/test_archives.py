"""The archive as a whole: which file holds the data, what a broken or foreign archive gives,
a JSON document written twice, and the reading's progress."""

from __future__ import annotations

import io
import json

import pytest

from exports.reader import ReadError, read_archive
from tests.reader.archives import counts, json_zip, read, read_json, zip_of
from tests.reader.documents import EXPECTED, gen_b, gen_c


def test_a_document_written_twice_in_one_file_is_read_once() -> None:
    _, once = read_json(gen_c())
    reading, twice = read_json(gen_c(), doubled=True)

    assert twice == once
    assert counts(twice) == EXPECTED["C"]
    assert reading.layout.generation == "C"


def test_a_document_written_twice_without_a_line_between_is_read_once() -> None:
    text = json.dumps(gen_b())

    _, records = read(zip_of({"user_data_tiktok.json": text + text}))

    assert counts(records) == EXPECTED["B"]


def test_a_second_copy_cut_short_is_neither_read_nor_an_error() -> None:
    text = json.dumps(gen_c())

    _, records = read(zip_of({"user_data_tiktok.json": text + "\n" + text[: len(text) // 2]}))

    assert counts(records) == EXPECTED["C"]


def test_a_truncated_file_is_broken_json() -> None:
    text = json.dumps(gen_c())
    reading = read_archive(zip_of({"user_data_tiktok.json": text[: len(text) // 2]}))

    with pytest.raises(ReadError) as raised:
        list(reading.records())

    assert raised.value.code == "broken_json"


def test_a_file_that_is_not_json_is_broken_json() -> None:
    reading = read_archive(zip_of({"user_data_tiktok.json": '{"Your Activity": {"Watch'}))

    with pytest.raises(ReadError) as raised:
        list(reading.records())

    assert raised.value.code == "broken_json"


def test_a_file_holding_a_list_instead_of_an_object_is_not_tiktok_json() -> None:
    reading = read_archive(json_zip([1, 2, 3]))

    with pytest.raises(ReadError) as raised:
        list(reading.records())

    assert raised.value.code == "not_tiktok_json"


def test_something_that_is_not_a_zip_is_refused() -> None:
    with pytest.raises(ReadError) as raised:
        read_archive(io.BytesIO(b'{"Your Activity": {}}'))

    assert raised.value.code == "not_a_zip"


def test_a_zip_without_tiktok_data_is_refused() -> None:
    archive = zip_of({"photos/cat.jpg": b"\xff\xd8\xff", "readme.md": "# hello", "TikTok/": ""})

    with pytest.raises(ReadError) as raised:
        read_archive(archive)

    assert raised.value.code == "no_tiktok_data"


def test_the_older_user_data_json_name_is_read() -> None:
    reading, records = read(json_zip(gen_b(), name="user_data.json"))

    assert counts(records) == EXPECTED["B"]
    assert reading.format == "json"


def test_the_data_file_is_found_in_a_folder_of_the_zip() -> None:
    _, records = read(json_zip(gen_b(), name="TikTok_Data/user_data_tiktok.json"))

    assert counts(records) == EXPECTED["B"]


def test_the_current_name_wins_over_other_json_files() -> None:
    archive = zip_of(
        {
            "notes.json": json.dumps({"Your Activity": {}}),
            "user_data_tiktok.json": json.dumps(gen_b()),
        }
    )

    _, records = read(archive)

    assert counts(records) == EXPECTED["B"]


def test_the_json_file_wins_over_text_files_beside_it() -> None:
    archive = zip_of(
        {"user_data_tiktok.json": json.dumps(gen_b()), "TikTok/Activity/Like List.txt": "x: y"}
    )

    reading, records = read(archive)

    assert reading.format == "json"
    assert counts(records) == EXPECTED["B"]


def test_the_reading_counts_every_byte_of_its_data_file() -> None:
    archive = json_zip(gen_c())
    reading = read_archive(archive)
    size = len(json.dumps(gen_c(), ensure_ascii=False).encode())

    assert (reading.bytes_read, reading.bytes_total) == (0, size)
    list(reading.records())
    assert reading.bytes_read == reading.bytes_total


def test_reading_the_records_again_counts_the_bytes_again_from_nothing() -> None:
    reading = read_archive(json_zip(gen_c()))

    list(reading.records())
    list(reading.records())

    assert reading.bytes_read == reading.bytes_total


def test_a_text_reading_counts_the_bytes_of_all_its_files() -> None:
    files = {"TikTok/Activity/Like List.txt": "Date: 2024-12-01 10:00:00 UTC", "TikTok/x.txt": "é"}
    reading = read_archive(zip_of(files))

    list(reading.records())

    assert reading.bytes_total == len(files["TikTok/Activity/Like List.txt"]) + 2
    assert reading.bytes_read == reading.bytes_total


def test_the_layout_before_reading_knows_only_the_format() -> None:
    reading = read_archive(json_zip(gen_c()))

    assert (reading.layout.format, reading.layout.generation) == ("json", "unknown")
    assert list(reading.sections) == []
