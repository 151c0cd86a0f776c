"""tiktok_sandbox archives in every layout TikTok has used: JSON generations A, B and C, the
doubled JSON file, the English and Dutch text trees, the unknown section, how a layout is chosen
and stored, and sizing in each."""

from __future__ import annotations

import io
import json
import re
import tracemalloc
import zipfile
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.checks import run_checks
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from tests.sandbox.conftest import grant_tokens, new_request_id
from tiktok_sandbox.archives import ArchiveSpec, build_archive
from tiktok_sandbox.layouts import ArchiveLanguage, ArchiveLayout, ArchiveStyle
from tiktok_sandbox.models import PortabilityRequest
from tiktok_sandbox.personas import PERSONAS, Persona

GEN_A, GEN_B, GEN_C = ArchiveLayout.GEN_A, ArchiveLayout.GEN_B, ArchiveLayout.GEN_C
DOUBLED = ArchiveLayout.GEN_C_DOUBLED
EN, NL = ArchiveLanguage.ENGLISH, ArchiveLanguage.DUTCH
JSON_NAME = "user_data_tiktok.json"
TEXT_DATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$")
KB = 1000


def persona(username: str) -> Persona:
    return next(p for p in PERSONAS if p.username == username)


LUCIA, JONAS, AMARA = persona("lucia.dances"), persona("jonas.bakes"), persona("amara.reads")
TYLER, SANNE = persona("tyler.hikes"), persona("sanne.cycles")


def spec(
    layout: ArchiveLayout = GEN_C,
    *,
    language: ArchiveLanguage = EN,
    unknown: bool = False,
    categories: tuple[str, ...] = ("all_data",),
    data_format: str = "json",
    target_size: int = 0,
    who: Persona = LUCIA,
) -> ArchiveSpec:
    return ArchiveSpec(
        request_id=2**61 + 7,
        persona=who,
        data_format=data_format,
        categories=frozenset(categories),
        created_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        target_size=target_size,
        style=ArchiveStyle(layout, language, unknown),
    )


def unzip(archive_spec: ArchiveSpec) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(b"".join(build_archive(archive_spec).chunks())))
    assert archive.testzip() is None
    return archive


def document(layout: ArchiveLayout = GEN_C, **kwargs: Any) -> dict[str, Any]:
    """The JSON document of the archive: its first complete value, as a reader takes it."""
    raw = unzip(spec(layout, **kwargs)).read(JSON_NAME).decode()
    return json.JSONDecoder().raw_decode(raw)[0]


def texts(layout: ArchiveLayout = GEN_C, **kwargs: Any) -> dict[str, str]:
    archive = unzip(spec(layout, data_format="text", **kwargs))
    return {name: archive.read(name).decode() for name in archive.namelist()}


def at(data: dict[str, Any], path: str) -> Any:
    """The value at ``path``, keys separated by slashes (no key of TikTok's has one)."""
    for key in path.split("/"):
        data = data[key]
    return data


def records(text: str) -> list[str]:
    return text.rstrip("\n").split("\n\n")


# JSON generations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layout", "keys"),
    [
        (GEN_A, ["Activity", "Ads and data", "App Settings", "Comment", "Direct Messages",
                 "Profile", "Tiktok Live", "Tiktok Shopping", "Video"]),
        (GEN_B, ["Ads and data", "App Settings", "Comment", "Direct Message",
                 "Income Plus Wallet Transactions", "Location Review", "Post", "Profile",
                 "TikTok Shop", "Tiktok Live", "Your Activity"]),
        (GEN_C, ["Comment", "Direct Message", "Income+ Wallet", "Likes and Favorites",
                 "Location Review", "Post", "Profile And Settings", "TikTok Live", "TikTok Shop",
                 "Your Activity"]),
    ],
)  # fmt: skip
def test_all_data_holds_exactly_the_top_level_keys_of_its_generation(
    layout: ArchiveLayout, keys: list[str]
) -> None:
    assert list(document(layout)) == keys


@pytest.mark.parametrize(
    ("layout", "category", "keys"),
    [
        (GEN_A, "activity", ["Activity", "Ads and data", "Comment"]),
        (GEN_A, "video", ["Video"]),
        (GEN_A, "profile", ["App Settings", "Profile"]),
        (GEN_A, "direct_message", ["Direct Messages"]),
        (GEN_B, "activity", ["Ads and data", "Comment", "Your Activity"]),
        (GEN_B, "video", ["Post"]),
        (GEN_B, "profile", ["App Settings", "Profile"]),
        (GEN_B, "direct_message", ["Direct Message"]),
        (GEN_C, "activity", ["Comment", "Likes and Favorites", "Your Activity"]),
        (GEN_C, "profile", ["Profile And Settings"]),
    ],
)
def test_each_generation_maps_a_category_to_its_own_top_level_keys(
    layout: ArchiveLayout, category: str, keys: list[str]
) -> None:
    assert list(document(layout, categories=(category,))) == keys


PATHS = {
    GEN_A: {
        "watch": "Activity/Video Browsing History/VideoList",
        "likes": "Activity/Like List/ItemFavoriteList",
        "favorites": "Activity/Favorite Videos/FavoriteVideoList",
        "followers": "Activity/Follower List/FansList",
        "following": "Activity/Following List/Following",
        "searches": "Activity/Search History/SearchList",
        "comments": "Comment/Comments/CommentsList",
        "chats": "Direct Messages/Chat History/ChatHistory",
        "profile": "Profile/Profile Information/ProfileMap",
        "posts": "Video/Videos/VideoList",
        "settings": "App Settings/Settings/SettingsMap",
        "lives": "Tiktok Live/Watch Live History/WatchLiveMap",
    },
    GEN_B: {
        "watch": "Your Activity/Watch History/VideoList",
        "likes": "Your Activity/Like List/ItemFavoriteList",
        "favorites": "Your Activity/Favorite Videos/FavoriteVideoList",
        "followers": "Your Activity/Follower/FansList",
        "following": "Your Activity/Following/Following",
        "searches": "Your Activity/Searches/SearchList",
        "comments": "Comment/Comments/CommentsList",
        "chats": "Direct Message/Direct Messages/ChatHistory",
        "profile": "Profile/Profile Info/ProfileMap",
        "posts": "Post/Posts/VideoList",
        "settings": "App Settings/Settings/SettingsMap",
        "lives": "Tiktok Live/Watch Live History/WatchLiveMap",
    },
    GEN_C: {
        "watch": "Your Activity/Watch History/VideoList",
        "likes": "Likes and Favorites/Like List/ItemFavoriteList",
        "favorites": "Likes and Favorites/Favorite Videos/FavoriteVideoList",
        "followers": "Profile And Settings/Follower/FansList",
        "following": "Profile And Settings/Following/Following",
        "searches": "Your Activity/Searches/SearchList",
        "comments": "Comment/Comments/CommentsList",
        "chats": "Direct Message/Direct Messages/ChatHistory",
        "profile": "Profile And Settings/Profile Info/ProfileMap",
        "posts": "Post/Posts/VideoList",
        "settings": "Profile And Settings/Settings/SettingsMap",
        "lives": "TikTok Live/Watch Live History/WatchLiveMap",
    },
}


@pytest.mark.parametrize("layout", [GEN_A, GEN_B, GEN_C])
def test_each_generation_puts_every_data_set_at_its_own_path(layout: ArchiveLayout) -> None:
    data = document(layout)
    paths = PATHS[layout]

    assert all(at(data, path) for path in paths.values())
    assert set(at(data, paths["watch"])[0]) >= {"Date", "Link"}
    assert set(at(data, paths["searches"])[0]) == {"Date", "SearchTerm"}
    assert set(at(data, paths["following"])[0]) == {"Date", "UserName"}
    assert at(data, paths["profile"])["userName"] == LUCIA.username
    chats = at(data, paths["chats"])
    assert all(re.fullmatch(r"Chat History with \S+:", name) for name in chats)
    assert set(next(iter(chats.values()))[0]) == {"Date", "From", "Content"}
    assert all(len(live_id) == 19 for live_id in at(data, paths["lives"]))


@pytest.mark.parametrize(
    ("layout", "like_keys", "comment_keys"),
    [
        (GEN_A, {"Date", "Link"}, {"Date", "Comment"}),
        (GEN_B, {"date", "link"}, {"Date", "Comment"}),
        (GEN_C, {"date", "link"}, {"date", "comment", "photo", "video", "sticker",
                                   "originalPostUrl", "original post link"}),
    ],
)  # fmt: skip
def test_like_list_and_comments_use_the_key_spelling_of_their_generation(
    layout: ArchiveLayout, like_keys: set[str], comment_keys: set[str]
) -> None:
    data = document(layout)

    assert all(set(item) == like_keys for item in at(data, PATHS[layout]["likes"]))
    comments = at(data, PATHS[layout]["comments"])
    assert all(set(item) == comment_keys for item in comments)
    dates = [item.get("Date") or item["date"] for item in comments]
    assert all(date.endswith(" UTC") == (layout == GEN_C) for date in dates)


def test_older_generations_have_ads_app_settings_and_the_lowercase_k_of_tiktok_live() -> None:
    gen_a, gen_b, gen_c = document(GEN_A), document(GEN_B), document(GEN_C)

    assert at(gen_a, "App Settings/Block")["BlockList"] is None
    assert at(gen_b, "App Settings/Block List")["BlockList"] is None
    assert "Block" not in gen_b["App Settings"]
    for older in (gen_a, gen_b):
        assert at(older, "Ads and data/Off TikTok Activity") == {"OffTikTokActivityDataList": None}
        assert "Tiktok Live" in older
        assert "TikTok Live" not in older
        assert (
            "Who can see your following list::"
            not in at(older, "App Settings/Settings")["SettingsMap"]
        )
    assert "Ads and data" not in gen_c
    assert "App Settings" not in gen_c
    assert "Tiktok Live" not in gen_c


def test_only_gen_c_adds_titles_device_ids_and_the_display_name() -> None:
    for layout in (GEN_A, GEN_B):
        data = document(layout)
        assert all(set(item) == {"Date", "Link"} for item in at(data, PATHS[layout]["watch"]))
        assert "displayName" not in at(data, PATHS[layout]["profile"])
    gen_c = document(GEN_C)
    assert all("Title" in item for item in at(gen_c, PATHS[GEN_C]["watch"]))
    assert at(gen_c, PATHS[GEN_C]["profile"])["displayName"] == LUCIA.display_name
    assert "UID" in at(gen_c, "Your Activity/Status/Status List")[0]


def test_every_generation_holds_the_same_data_under_its_own_names() -> None:
    documents = {layout: document(layout) for layout in (GEN_A, GEN_B, GEN_C)}

    def links(layout: ArchiveLayout, data_set: str, key: str) -> list[str]:
        return [item[key] for item in at(documents[layout], PATHS[layout][data_set])]

    assert links(GEN_A, "watch", "Link") == links(GEN_B, "watch", "Link")
    assert links(GEN_B, "watch", "Link") == links(GEN_C, "watch", "Link")
    assert links(GEN_A, "likes", "Link") == links(GEN_C, "likes", "link")
    assert links(GEN_A, "following", "UserName") == links(GEN_C, "following", "UserName")
    assert at(documents[GEN_A], PATHS[GEN_A]["chats"]) == at(
        documents[GEN_C], PATHS[GEN_C]["chats"]
    )


# The doubled JSON ---------------------------------------------------------------------------------


def test_doubled_file_starts_with_the_gen_c_document_and_is_not_json_as_a_whole() -> None:
    raw = unzip(spec(DOUBLED)).read(JSON_NAME).decode()

    first, end = json.JSONDecoder().raw_decode(raw)

    assert first == document(GEN_C)
    assert json.loads(raw[end:]) == first
    with pytest.raises(json.JSONDecodeError, match="Extra data"):
        json.loads(raw)


def test_doubled_file_of_a_sized_archive_starts_with_a_grown_document() -> None:
    archive = unzip(spec(DOUBLED, categories=("activity",), target_size=300 * KB))
    raw = archive.read(JSON_NAME).decode()

    first, end = json.JSONDecoder().raw_decode(raw)
    second = json.loads(raw[end:])

    watched = at(first, PATHS[GEN_C]["watch"])
    assert len(watched) > len(at(second, PATHS[GEN_C]["watch"]))
    assert list(first) == list(second) == ["Comment", "Likes and Favorites", "Your Activity"]


# Text trees -------------------------------------------------------------------------------------

CURRENT_FILES = {
    "Your Activity/Watch History.txt", "Your Activity/Searches.txt",
    "Your Activity/Share History.txt", "Your Activity/Login History.txt",
    "Your Activity/Reposts.txt", "Your Activity/Status.txt", "Your Activity/Activity Summary.txt",
    "Likes and Favourites/Like List.txt", "Likes and Favourites/Favorite Videos.txt",
    "Likes and Favourites/Favorite Sounds.txt", "Likes and Favourites/Favorite Effects.txt",
    "Comments/Comments.txt", "Profile and Settings/Follower.txt",
    "Profile and Settings/Following.txt", "Profile and Settings/Profile Info.txt",
    "Profile and Settings/Settings.txt", "Posts/Posts.txt", "Direct Messages/Direct Messages.txt",
    "TikTok Live/Watch Live History.txt",
}  # fmt: skip
DECEMBER_2024_FILES = {
    "Activity/Browsing History.txt", "Activity/Comments.txt", "Activity/Follower.txt",
    "Activity/Following.txt", "Activity/Like List.txt", "Activity/Favorite Videos.txt",
    "Activity/Searches.txt", "Activity/Share History.txt", "Activity/Login History.txt",
    "Direct Messages/Direct Messages.txt", "Posts/Post.txt", "Profile/Profile Info.txt",
    "TikTok Live/Watch Live History.txt",
}  # fmt: skip
DUTCH_FILES = {
    "Je activiteit/Kijkgeschiedenis.txt", "Je activiteit/Favoriete video's.txt",
    "Je activiteit/Volger.txt", "Je activiteit/Volgend.txt", "Je activiteit/Likelijst.txt",
    "Je activiteit/Reacties.txt", "Je activiteit/Profielinformatie.txt",
}  # fmt: skip


@pytest.mark.parametrize(
    ("layout", "language", "files"),
    [
        (GEN_C, EN, CURRENT_FILES),
        (DOUBLED, EN, CURRENT_FILES),
        (GEN_B, EN, DECEMBER_2024_FILES),
        (GEN_A, EN, DECEMBER_2024_FILES),
        (GEN_C, NL, DUTCH_FILES),
        (GEN_A, NL, DUTCH_FILES),
    ],
)
def test_text_archive_of_all_data_is_the_folder_tree_of_its_era_and_language(
    layout: ArchiveLayout, language: ArchiveLanguage, files: set[str]
) -> None:
    assert set(texts(layout, language=language)) == {f"TikTok/{name}" for name in files}


def test_text_archive_holds_only_the_files_of_the_requested_categories() -> None:
    names = set(texts(GEN_C, categories=("profile", "direct_message")))

    assert names == {
        "TikTok/Profile and Settings/Follower.txt",
        "TikTok/Profile and Settings/Following.txt",
        "TikTok/Profile and Settings/Profile Info.txt",
        "TikTok/Profile and Settings/Settings.txt",
        "TikTok/Direct Messages/Direct Messages.txt",
    }


def test_text_records_are_key_value_blocks_with_utc_dates() -> None:
    files = texts(GEN_B)

    watched = records(files["TikTok/Activity/Browsing History.txt"])
    assert len(watched) == 300
    assert all(re.fullmatch(r"Date: [\d :-]+ UTC\nLink: https://\S+/", block) for block in watched)
    comments = records(files["TikTok/Activity/Comments.txt"])
    assert all(re.fullmatch(r"Date: [\d :-]+ UTC\nComment: .+", block) for block in comments)
    profile = files["TikTok/Profile/Profile Info.txt"]
    assert f"UserName: {LUCIA.username}\n" in profile
    assert "PlatformInfo: None\n" in profile


def test_reposts_are_dated_by_creation_time() -> None:
    reposts = records(texts(GEN_C, categories=("activity",))["TikTok/Your Activity/Reposts.txt"])

    assert all(block.startswith("Creation Time: ") for block in reposts)
    assert all(TEXT_DATE.match(block.split("\n")[0].split(": ", 1)[1]) for block in reposts)


def test_dutch_text_archive_uses_datum_and_a_dutch_empty_section() -> None:
    files = texts(GEN_C, language=NL, who=SANNE)

    watched = records(files["TikTok/Je activiteit/Kijkgeschiedenis.txt"])
    assert all(re.match(r"Datum: [\d :-]+ UTC\nLink: ", block) for block in watched)
    assert not any(re.search("^Date:", text, re.MULTILINE) for text in files.values())
    # Sanne has no followers yet.
    assert files["TikTok/Je activiteit/Volger.txt"] == "Je hebt geen gegevens in dit gedeelte\n"
    assert files["TikTok/Je activiteit/Volgend.txt"].startswith("Datum: ")
    assert "Gebruikersnaam" not in files["TikTok/Je activiteit/Volgend.txt"]


def test_english_empty_section_says_so_in_english() -> None:
    files = texts(GEN_C, who=SANNE, categories=("profile",))

    assert files["TikTok/Profile and Settings/Follower.txt"] == "You have no data in this section\n"


def test_dutch_text_archive_leaves_out_sections_without_a_known_dutch_name() -> None:
    assert texts(GEN_C, language=NL, categories=("video", "direct_message")) == {}
    assert set(texts(GEN_C, language=NL, categories=("profile",))) == {
        "TikTok/Je activiteit/Volger.txt",
        "TikTok/Je activiteit/Volgend.txt",
        "TikTok/Je activiteit/Profielinformatie.txt",
    }


@pytest.mark.parametrize(("layout", "target_size"), [(GEN_C, 0), (GEN_A, 0), (GEN_C, 300 * KB)])
def test_direct_messages_are_one_file_of_chats_each_under_its_header(
    layout: ArchiveLayout, target_size: int
) -> None:
    text = texts(layout, categories=("direct_message",), target_size=target_size)[
        "TikTok/Direct Messages/Direct Messages.txt"
    ]
    chats = at(document(layout, categories=("direct_message",)), PATHS[layout]["chats"])
    message = r"Date: [\d :-]+ UTC\nFrom: \S+\nContent: .+"
    chat = rf"Chat History with \S+:\n{message}(?:\n\n{message})*"

    assert re.fullmatch(rf"{chat}(?:\n\n{chat})*\n", text)
    headers = re.findall(r"^Chat History with \S+:$", text, re.MULTILINE)
    assert headers == list(chats)
    natural = sum(map(len, chats.values()))
    messages = text.count("\nFrom: ")
    assert (messages > 10 * natural) if target_size else (messages == natural)


# The unknown section ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layout", "path"),
    [
        (GEN_A, "Activity/Mystery Feature/MysteryList"),
        (GEN_B, "Your Activity/Mystery Feature/MysteryList"),
        (GEN_C, "Your Activity/Mystery Feature/MysteryList"),
        (DOUBLED, "Your Activity/Mystery Feature/MysteryList"),
    ],
)
def test_unknown_section_holds_four_dated_mystery_items(layout: ArchiveLayout, path: str) -> None:
    items = at(document(layout, unknown=True, categories=("activity",)), path)

    assert len(items) == 4
    assert all(set(item) == {"Date", "Mystery"} for item in items)
    section = path.split("/", maxsplit=1)[0]
    keys = list(document(layout, unknown=True)[section])
    assert keys == sorted(keys)  # in TikTok's alphabetical order, like its neighbours


def test_unknown_section_is_there_only_when_switched_on_and_activity_is_requested() -> None:
    assert "Mystery Feature" not in document(GEN_C)["Your Activity"]
    assert "Mystery Feature" in document(GEN_C, unknown=True)["Your Activity"]
    assert "Mystery" not in json.dumps(document(GEN_C, unknown=True, categories=("profile",)))
    assert not any("Myster" in name for name in texts(GEN_C, unknown=True, categories=("video",)))


@pytest.mark.parametrize(
    ("layout", "language", "name"),
    [
        (GEN_C, EN, "TikTok/Your Activity/Mystery Feature.txt"),
        (GEN_B, EN, "TikTok/Activity/Mystery Feature.txt"),
        (GEN_A, EN, "TikTok/Activity/Mystery Feature.txt"),
        (GEN_C, NL, "TikTok/Je activiteit/Mysterie.txt"),
    ],
)
def test_unknown_section_is_a_text_file_of_four_blocks(
    layout: ArchiveLayout, language: ArchiveLanguage, name: str
) -> None:
    files = texts(layout, language=language, unknown=True, categories=("activity",))
    date_key = "Datum" if language == NL else "Date"

    blocks = records(files[name])

    assert len(blocks) == 4
    assert all(re.fullmatch(rf"{date_key}: [\d :-]+ UTC\nMystery: .+", block) for block in blocks)
    assert name not in texts(layout, language=language, categories=("activity",))


def test_switching_the_unknown_section_on_changes_nothing_else() -> None:
    plain = document(GEN_B)
    with_mystery = document(GEN_B, unknown=True)

    del with_mystery["Your Activity"]["Mystery Feature"]

    assert with_mystery == plain


# Choosing the layout ----------------------------------------------------------------------------


def test_personas_default_to_a_layout_each() -> None:
    assert LUCIA.archive_style == ArchiveStyle(GEN_C, EN, False)
    assert JONAS.archive_style == ArchiveStyle(GEN_B, EN, False)
    assert AMARA.archive_style == ArchiveStyle(GEN_A, EN, False)
    assert SANNE.archive_style == ArchiveStyle(DOUBLED, NL, True)
    assert (SANNE.region, SANNE.in_eea_or_uk) == ("NL", True)
    assert not TYLER.in_eea_or_uk
    assert len({p.open_id for p in PERSONAS}) == len({p.union_id for p in PERSONAS}) == 5
    assert re.fullmatch(r"sbx-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", SANNE.open_id)
    assert re.fullmatch(r"sbx-u-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", SANNE.union_id)


def stored_request(client: Client, who: Persona, data_format: str = "json") -> PortabilityRequest:
    access_token = grant_tokens(client, persona=who.open_id)["access_token"]
    request_id = new_request_id(client, access_token, data_format=data_format)
    return PortabilityRequest.objects.get(request_id=request_id)


@pytest.mark.parametrize("who", [LUCIA, JONAS, AMARA, SANNE], ids=lambda p: p.username)
def test_without_settings_a_request_stores_its_personas_default(
    client: Client, who: Persona
) -> None:
    stored = stored_request(client, who)

    assert stored.archive_style == who.archive_style
    assert (stored.archive_layout, stored.archive_language, stored.archive_unknown_section) == (
        who.archive_layout,
        who.archive_language,
        who.archive_unknown_section,
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (("gen_a", "", ""), ArchiveStyle(GEN_A, NL, True)),
        (("", "en", ""), ArchiveStyle(DOUBLED, EN, True)),
        (("", "", "false"), ArchiveStyle(DOUBLED, NL, False)),
        (("gen_b", "en", "0"), ArchiveStyle(GEN_B, EN, False)),
    ],
)
def test_settings_that_are_set_override_the_personas_default_on_the_stored_request(
    client: Client, settings: Settings, values: tuple[str, str, str], expected: ArchiveStyle
) -> None:
    (
        settings.TIKTOK_SANDBOX_ARCHIVE_LAYOUT,
        settings.TIKTOK_SANDBOX_ARCHIVE_LANGUAGE,
        settings.TIKTOK_SANDBOX_ARCHIVE_UNKNOWN_SECTION,
    ) = values

    assert stored_request(client, SANNE).archive_style == expected


def test_the_unknown_section_setting_can_switch_it_on_for_a_persona_without_it(
    client: Client, settings: Settings
) -> None:
    settings.TIKTOK_SANDBOX_ARCHIVE_UNKNOWN_SECTION = "true"

    assert stored_request(client, JONAS).archive_style == ArchiveStyle(GEN_B, EN, True)


def test_an_archive_keeps_its_layout_when_the_settings_change_later(
    client: Client, settings: Settings
) -> None:
    settings.TIKTOK_SANDBOX_ARCHIVE_LAYOUT = "gen_a"
    stored = stored_request(client, LUCIA)

    settings.TIKTOK_SANDBOX_ARCHIVE_LAYOUT = "gen_c"
    archive = build_archive(ArchiveSpec.for_request(stored))
    data = zipfile.ZipFile(io.BytesIO(b"".join(archive.chunks()))).read(JSON_NAME)

    assert next(iter(json.loads(data))) == "Activity"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TIKTOK_SANDBOX_ARCHIVE_LAYOUT", "gen_d"),
        ("TIKTOK_SANDBOX_ARCHIVE_LANGUAGE", "de"),
        ("TIKTOK_SANDBOX_ARCHIVE_UNKNOWN_SECTION", "sometimes"),
    ],
)
def test_an_unknown_layout_setting_fails_the_system_check(
    settings: Settings, name: str, value: str
) -> None:
    setattr(settings, name, value)

    errors = [message for message in run_checks() if message.id == "tiktok_sandbox.E001"]

    assert len(errors) == 1
    assert name in errors[0].msg


def test_known_layout_settings_pass_the_system_check(settings: Settings) -> None:
    settings.TIKTOK_SANDBOX_ARCHIVE_LAYOUT = "gen_c_doubled"
    settings.TIKTOK_SANDBOX_ARCHIVE_LANGUAGE = "nl"
    settings.TIKTOK_SANDBOX_ARCHIVE_UNKNOWN_SECTION = "on"

    assert [m for m in run_checks() if m.id == "tiktok_sandbox.E001"] == []


def test_index_shows_the_layout_settings_and_each_personas_layout(
    client: Client, settings: Settings
) -> None:
    settings.TIKTOK_SANDBOX_ARCHIVE_LANGUAGE = "en"

    page = client.get(reverse("tiktok_sandbox:index")).content.decode()

    assert "Archive layout" in page
    assert "<dd><code>en</code></dd>" in page
    table = page[page.index('id="archive-layouts"') :]
    for who in PERSONAS:
        assert who.display_name in table
    sanne_row = table[table.index(SANNE.display_name) :].split("</tr>")[0]
    assert "<code>gen_c_doubled</code>" in sanne_row
    assert "<code>en</code>" in sanne_row  # the setting wins over her Dutch
    assert "included" in sanne_row


# Sizing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layout", "language", "data_format"),
    [
        (GEN_A, EN, "json"),
        (GEN_B, EN, "json"),
        (GEN_C, EN, "json"),
        (DOUBLED, EN, "json"),
        (GEN_A, EN, "text"),
        (GEN_B, EN, "text"),
        (GEN_C, EN, "text"),
        (GEN_C, NL, "text"),
    ],
)
@pytest.mark.parametrize("categories", [("all_data",), ("activity",)])
def test_sized_archive_in_each_layout_is_exactly_its_announced_size(
    layout: ArchiveLayout,
    language: ArchiveLanguage,
    data_format: str,
    categories: tuple[str, ...],
) -> None:
    target = 300 * KB
    archive = build_archive(
        spec(layout, language=language, unknown=True, categories=categories,
             data_format=data_format, target_size=target)
    )  # fmt: skip

    data = b"".join(archive.chunks())

    assert len(data) == archive.size
    assert target * 0.99 <= archive.size <= target
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None


@pytest.mark.parametrize(
    ("layout", "language", "name"),
    [
        (GEN_A, EN, "TikTok/Activity/Browsing History.txt"),
        (GEN_C, EN, "TikTok/Your Activity/Watch History.txt"),
        (GEN_C, NL, "TikTok/Je activiteit/Kijkgeschiedenis.txt"),
    ],
)
def test_sized_text_archive_grows_the_watch_history_in_its_own_file(
    layout: ArchiveLayout, language: ArchiveLanguage, name: str
) -> None:
    files = texts(layout, language=language, categories=("activity",), target_size=400 * KB)

    watched = records(files[name])

    assert len(watched) > 1000
    assert all(TEXT_DATE.match(block.split("\n")[0].split(": ", 1)[1]) for block in watched)
    assert sum(map(len, files.values())) > 0.9 * 400 * KB


@pytest.mark.parametrize("layout", [GEN_A, GEN_B, GEN_C])
def test_sized_json_archive_grows_the_watch_history_where_its_generation_puts_it(
    layout: ArchiveLayout,
) -> None:
    data = document(layout, categories=("activity",), target_size=400 * KB)

    watched = at(data, PATHS[layout]["watch"])

    assert len(watched) > 1000
    keys = {"Date", "Link"} if layout != GEN_C else {"Date", "Link", "Title"}
    assert all(set(item) == keys for item in watched)
    links = [item["Link"] for item in watched]
    assert len(set(links)) == len(links)


def test_an_archive_with_no_list_that_can_grow_keeps_its_natural_size() -> None:
    # Gen B's profile category is Profile and App Settings: no list in either.
    natural = build_archive(spec(GEN_B, categories=("profile",)))

    sized = build_archive(spec(GEN_B, categories=("profile",), target_size=300 * KB))

    assert sized.size == natural.size < 300 * KB
    assert len(b"".join(sized.chunks())) == sized.size


def test_a_large_dutch_text_archive_streams_in_small_memory() -> None:
    mib = 2**20
    archive = build_archive(
        spec(GEN_A, language=NL, categories=("activity",), data_format="text",
             target_size=64 * mib)
    )  # fmt: skip
    size = 0

    tracemalloc.start()
    try:
        for chunk in archive.chunks():
            size += len(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert size == archive.size
    assert 63 * mib <= size <= 64 * mib
    assert peak < 32 * mib
