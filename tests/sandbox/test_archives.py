"""tiktok_sandbox.archives: layout, content, size knob, determinism and memory of the zips."""

from __future__ import annotations

import hashlib
import io
import json
import re
import tracemalloc
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from tiktok_sandbox.archives import ArchiveSpec, archive_sha256_and_size, build_archive
from tiktok_sandbox.personas import PERSONAS

MIB = 2**20
DATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
VIDEO_LINK = re.compile(r"^https://www\.tiktokv\.com/share/video/\d{19}/$")


def spec(
    categories: tuple[str, ...] = ("all_data",),
    data_format: str = "json",
    target_size: int = 0,
    request_id: int = 2**61 + 42,
) -> ArchiveSpec:
    return ArchiveSpec(
        request_id=request_id,
        persona=PERSONAS[0],
        data_format=data_format,
        categories=frozenset(categories),
        created_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        target_size=target_size,
    )


def generate(archive_spec: ArchiveSpec) -> bytes:
    return b"".join(build_archive(archive_spec).chunks())


def unzip(data: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive


def document(archive_spec: ArchiveSpec) -> dict[str, Any]:
    return json.loads(unzip(generate(archive_spec)).read("user_data_tiktok.json"))


@pytest.mark.parametrize(
    ("categories", "keys"),
    [
        (("activity",), ["Comment", "Likes and Favorites", "Your Activity"]),
        (("video",), ["Post"]),
        (("profile",), ["Profile And Settings"]),
        (("direct_message",), ["Direct Message"]),
        (("direct_message", "video"), ["Direct Message", "Post"]),
    ],
)
def test_json_document_holds_only_the_keys_of_the_categories(
    categories: tuple[str, ...], keys: list[str]
) -> None:
    assert list(document(spec(categories))) == keys


def test_json_document_has_tiktoks_item_shapes() -> None:
    data = document(spec())

    watched = data["Your Activity"]["Watch History"]["VideoList"]
    assert all(DATE.match(item["Date"]) and VIDEO_LINK.match(item["Link"]) for item in watched)
    assert [item["Date"] for item in watched] == sorted((i["Date"] for i in watched), reverse=True)
    likes = data["Likes and Favorites"]["Like List"]
    assert isinstance(likes["App"], int)
    assert set(likes["ItemFavoriteList"][0]) == {"date", "link"}
    assert data["Comment"]["Comments"]["CommentsList"][0]["date"].endswith(" UTC")
    chats = data["Direct Message"]["Direct Messages"]["ChatHistory"]
    assert all(re.match(r"^Chat History with \S+:$", name) for name in chats)
    assert set(next(iter(chats.values()))[0]) == {"Date", "From", "Content"}
    settings_map = data["Profile And Settings"]["Settings"]["SettingsMap"]
    assert "Who can see your following list::" in settings_map
    assert data["Profile And Settings"]["Following"]["IsFastLane"] is False
    assert data["TikTok Shop"]["Order History"] == {"OrderHistories": None}
    assert all(
        len(live_id) == 19 for live_id in data["TikTok Live"]["Watch Live History"]["WatchLiveMap"]
    )


def test_profile_section_describes_the_persona() -> None:
    persona = PERSONAS[0]

    profile = document(spec(("profile",)))["Profile And Settings"]["Profile Info"]["ProfileMap"]

    assert profile["userName"] == persona.username
    assert profile["displayName"] == persona.display_name
    assert profile["bioDescription"] == persona.bio_description
    assert profile["likesReceived"] == str(persona.likes_count)
    assert profile["followerCount"] == persona.follower_count
    assert profile["followingCount"] == persona.following_count
    assert profile["accountRegion"] == persona.region


def test_text_archive_has_key_value_records_and_the_no_data_line() -> None:
    archive = unzip(generate(spec(("profile", "direct_message"), "text")))

    names = archive.namelist()
    profile_files = {"Profile Info.txt", "Follower.txt", "Following.txt", "Settings.txt"}
    assert {f"TikTok/Profile and Settings/{name}" for name in profile_files} <= set(names)
    assert "TikTok/Direct Messages/Direct Messages.txt" in names
    assert "TikTok/Your Activity/Watch History.txt" not in names
    profile = archive.read("TikTok/Profile and Settings/Profile Info.txt").decode()
    assert f"UserName: {PERSONAS[0].username}\n" in profile
    following = archive.read("TikTok/Profile and Settings/Following.txt").decode()
    records = following.rstrip("\n").split("\n\n")
    assert len(records) > 1
    assert all(re.fullmatch(r"Date: [\d :-]+ UTC\nUserName: \w+", record) for record in records)
    # A persona without followers has an empty section, and it says so.
    sanne = next(persona for persona in PERSONAS if persona.follower_count == 0)
    empty = unzip(generate(replace(spec(("profile",), "text"), persona=sanne)))
    follower = empty.read("TikTok/Profile and Settings/Follower.txt").decode()
    assert follower == "You have no data in this section\n"


def test_same_spec_gives_identical_bytes_and_another_request_other_bytes() -> None:
    first = archive_sha256_and_size(spec(target_size=3 * MIB))

    assert archive_sha256_and_size(spec(target_size=3 * MIB)) == first
    assert archive_sha256_and_size(spec(target_size=3 * MIB, request_id=2**61 + 43)) != first


@pytest.mark.parametrize(
    ("target", "categories", "data_format"),
    [
        (1 * MIB, ("all_data",), "json"),
        (20 * MIB, ("activity",), "json"),
        (5 * MIB, ("video",), "text"),
        (3 * MIB, ("direct_message",), "json"),
        (2 * MIB, ("profile",), "text"),
        (40_000, ("activity",), "json"),
    ],
)
def test_size_knob_hits_the_target_within_one_percent(
    target: int, categories: tuple[str, ...], data_format: str
) -> None:
    archive = build_archive(spec(categories, data_format, target))

    data = b"".join(archive.chunks())

    assert len(data) == archive.size
    assert target * 0.99 <= len(data) <= target
    unzip(data)


def test_grown_json_stays_valid_with_unique_dated_links() -> None:
    data = document(spec(("activity",), target_size=4 * MIB))

    watched = data["Your Activity"]["Watch History"]["VideoList"]
    assert len(watched) > 20_000
    links = [item["Link"] for item in watched]
    assert len(set(links)) == len(links)
    assert all(VIDEO_LINK.match(link) for link in links)
    assert all(DATE.match(item["Date"]) for item in watched)
    dates = [item["Date"] for item in watched]
    assert dates == sorted(dates, reverse=True)


def test_target_below_the_natural_size_shrinks_the_other_lists() -> None:
    natural = build_archive(spec()).size

    small = build_archive(spec(target_size=natural // 2))

    assert natural // 2 * 0.99 <= small.size <= natural // 2


@pytest.mark.parametrize("data_format", ["json", "text"])
def test_announced_size_is_the_generated_size_without_a_target(data_format: str) -> None:
    archive = build_archive(spec(data_format=data_format))

    assert len(b"".join(archive.chunks())) == archive.size


def test_zip64_records_are_counted_in_the_size_and_readable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Pretend the ZIP64 limit is 200 kB, so a small archive takes every ZIP64 branch: a grown
    # entry past the limit, entries after it at offsets past it, and the ZIP64 end records.
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 200_000)
    archive = build_archive(spec(("direct_message", "profile"), "text", target_size=MIB))

    data = b"".join(archive.chunks())

    assert len(data) == archive.size
    assert b"PK\x06\x06" in data[-300:]  # the ZIP64 end of central directory record
    entries = unzip(data).infolist()
    # The direct messages (grown: the biggest list there) come before the profile's four files.
    assert len(entries) == 5
    assert entries[0].filename == "TikTok/Direct Messages/Direct Messages.txt"
    assert any(entry.file_size > 200_000 for entry in entries)
    assert any(entry.header_offset > 200_000 for entry in entries)


def test_large_archive_streams_in_small_memory() -> None:
    archive = build_archive(spec(("activity",), target_size=300 * MIB))
    size = 0
    digest = hashlib.sha256()

    tracemalloc.start()
    try:
        for chunk in archive.chunks():
            size += len(chunk)
            digest.update(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert size == archive.size
    assert 299 * MIB <= size <= 300 * MIB
    assert peak < 32 * MIB
