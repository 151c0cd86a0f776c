"""The folder trees of text exports: which ``.txt`` file under ``TikTok/`` holds which data set.

Three trees are known (tiktok-archive-layouts.md, "Text exports"): the current English one
(with Gen C), the English one of December 2024 (with Gen A and Gen B) and a Dutch one. A text
export is translated into the app's language, folders and file names included; the Dutch tree
has only the files seen in real Dutch exports, so a Dutch export leaves every other data set
out rather than guess a name for it. A file whose data set the archive does not hold (another
category, or a section its generation lacks) is left out too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tiktok_sandbox.archives.text import DUTCH, ENGLISH, Language, Writer
from tiktok_sandbox.layouts import ArchiveLanguage, ArchiveLayout

ROOT = "TikTok"
CHATS = "chats"  # the data set of the one file written as conversations (Writer.chats)


@dataclass(frozen=True)
class TextFile:
    """One file of a tree: its path under ``ROOT``, its data set, and the keys it spells its
    own way."""

    path: str
    data_set: str
    renames: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Tree:
    """A text export's layout: its language and its files, in the order the zip holds them."""

    language: Language
    files: tuple[TextFile, ...]

    def writer(self, file: TextFile) -> Writer:
        return Writer(self.language, file.renames)

    def name(self, file: TextFile) -> str:
        """The file's name in the zip."""
        return f"{ROOT}/{file.path}"


_ACTIVITY, _LIKES, _PROFILE = "Your Activity", "Likes and Favourites", "Profile and Settings"
CURRENT = Tree(
    ENGLISH,
    (
        TextFile("Comments/Comments.txt", "comments"),
        TextFile("Direct Messages/Direct Messages.txt", CHATS),
        # British spelling in the folder, unlike the JSON key "Likes and Favorites".
        TextFile(f"{_LIKES}/Favorite Effects.txt", "effects"),
        TextFile(f"{_LIKES}/Favorite Sounds.txt", "sounds"),
        TextFile(f"{_LIKES}/Favorite Videos.txt", "favorites"),
        TextFile(f"{_LIKES}/Like List.txt", "likes"),
        TextFile("Posts/Posts.txt", "posts"),
        TextFile(f"{_PROFILE}/Follower.txt", "followers"),
        TextFile(f"{_PROFILE}/Following.txt", "following"),
        TextFile(f"{_PROFILE}/Profile Info.txt", "profile"),
        TextFile(f"{_PROFILE}/Settings.txt", "settings"),
        TextFile("TikTok Live/Watch Live History.txt", "lives"),
        TextFile(f"{_ACTIVITY}/Activity Summary.txt", "summary"),
        TextFile(f"{_ACTIVITY}/Login History.txt", "logins"),
        TextFile(f"{_ACTIVITY}/Mystery Feature.txt", "mystery"),
        TextFile(f"{_ACTIVITY}/Reposts.txt", "reposts", {"Date": "Creation Time"}),
        TextFile(f"{_ACTIVITY}/Searches.txt", "searches"),
        TextFile(f"{_ACTIVITY}/Share History.txt", "shares"),
        TextFile(f"{_ACTIVITY}/Status.txt", "statuses"),
        TextFile(f"{_ACTIVITY}/Watch History.txt", "watch"),
    ),
)
DECEMBER_2024 = Tree(
    ENGLISH,
    (
        TextFile("Activity/Browsing History.txt", "watch"),
        TextFile("Activity/Comments.txt", "comments"),
        TextFile("Activity/Favorite Videos.txt", "favorites"),
        TextFile("Activity/Follower.txt", "followers"),
        TextFile("Activity/Following.txt", "following"),
        TextFile("Activity/Like List.txt", "likes"),
        TextFile("Activity/Login History.txt", "logins"),
        TextFile("Activity/Mystery Feature.txt", "mystery"),
        TextFile("Activity/Searches.txt", "searches"),
        TextFile("Activity/Share History.txt", "shares"),
        TextFile("Direct Messages/Direct Messages.txt", CHATS),
        TextFile("Posts/Post.txt", "posts"),
        TextFile("Profile/Profile Info.txt", "profile"),
        TextFile("TikTok Live/Watch Live History.txt", "lives"),
    ),
)
_JE = "Je activiteit"
DUTCH_TREE = Tree(
    DUTCH,
    (
        TextFile(f"{_JE}/Favoriete video's.txt", "favorites"),
        TextFile(f"{_JE}/Kijkgeschiedenis.txt", "watch"),
        TextFile(f"{_JE}/Likelijst.txt", "likes"),
        TextFile(f"{_JE}/Mysterie.txt", "mystery"),
        TextFile(f"{_JE}/Profielinformatie.txt", "profile"),
        TextFile(f"{_JE}/Reacties.txt", "comments"),
        TextFile(f"{_JE}/Volgend.txt", "following"),
        TextFile(f"{_JE}/Volger.txt", "followers"),
    ),
)


def tree_for(layout: ArchiveLayout, language: ArchiveLanguage) -> Tree:
    """The tree of a text export: Dutch, or the English tree of the layout's era."""
    if language == ArchiveLanguage.DUTCH:
        return DUTCH_TREE
    return DECEMBER_2024 if layout in (ArchiveLayout.GEN_A, ArchiveLayout.GEN_B) else CURRENT
