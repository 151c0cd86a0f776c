"""TikTok's scopes as this site offers them: what a person chooses to export, and how often.

TikTok's portability scopes are `portability.<kind>.<frequency>`; `user.info.basic` is always
asked for, because it carries the person's open_id and display name.

One vocabulary: the kinds of data a person allows (DataKind) are the kinds an export contains.
An export of a kind asks TikTok for that kind's categories (KIND_CATEGORIES); TikTok's own
category names appear only where TikTok or the task API needs them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

BASIC_SCOPE = "user.info.basic"
PORTABILITY_PREFIX = "portability."


class DataKind(models.TextChoices):
    ACTIVITY = "activity", _("Activity")
    POSTS_AND_PROFILE = "postsandprofile", _("Posts & profile")
    DIRECT_MESSAGES = "directmessages", _("Direct messages")
    ALL = "all", _("Everything")


class Frequency(models.TextChoices):
    SINGLE = "single", _("Once")
    ONGOING = "ongoing", _("Ongoing")


DATA_KIND_HELP = {
    DataKind.ACTIVITY: _("Watch history, likes, favourites, comments, searches, shares."),
    DataKind.POSTS_AND_PROFILE: _("Your videos, profile, followers and following."),
    DataKind.DIRECT_MESSAGES: _("Your chat history."),
    DataKind.ALL: _("Everything TikTok holds about your account."),
}
FREQUENCY_HELP = {
    Frequency.SINGLE: _("One export. The permission ends once TikTok has made it."),
    Frequency.ONGOING: _("As many exports as you like, until you disconnect."),
}


def portability_scope(kind: str, frequency: str) -> str:
    return f"{PORTABILITY_PREFIX}{kind}.{frequency}"


ALL_PORTABILITY_SCOPES = frozenset(
    portability_scope(kind, frequency) for kind in DataKind.values for frequency in Frequency.values
)


def scopes_for(kinds: Iterable[str], frequency: str) -> list[str]:
    """The scopes to ask TikTok for. "Everything" covers the other kinds, so it stands alone."""
    chosen = set(kinds)
    if DataKind.ALL in chosen:
        chosen = {DataKind.ALL.value}
    return [BASIC_SCOPE, *sorted(portability_scope(kind, frequency) for kind in chosen)]


def portability_scopes(scopes: Iterable[str]) -> list[str]:
    return sorted(scope for scope in scopes if scope in ALL_PORTABILITY_SCOPES)


def describe_scope(scope: str) -> str:
    """A person's words for a scope: "Activity (once)"."""
    if scope == BASIC_SCOPE:
        return str(_("Your display name and avatar"))
    if scope not in ALL_PORTABILITY_SCOPES:
        return scope
    kind, frequency = scope.removeprefix(PORTABILITY_PREFIX).split(".")
    return f"{DataKind(kind).label} ({str(Frequency(frequency).label).lower()})"


class Category(models.TextChoices):
    """TikTok's `category_selection_list` values (tiktok-api.md §2.2)."""

    ACTIVITY = "activity", _("Activity")
    VIDEO = "video", _("Posts")
    PROFILE = "profile", _("Profile")
    DIRECT_MESSAGE = "direct_message", _("Direct messages")
    ALL_DATA = "all_data", _("Everything")


class DataFormat(models.TextChoices):
    JSON = "json", _("JSON (one file, for programs)")
    TEXT = "text", _("Text (several files, for reading)")


# Which kind of portability scope allows each category; "all" allows every one.
CATEGORY_KIND = {
    Category.ACTIVITY: DataKind.ACTIVITY,
    Category.VIDEO: DataKind.POSTS_AND_PROFILE,
    Category.PROFILE: DataKind.POSTS_AND_PROFILE,
    Category.DIRECT_MESSAGE: DataKind.DIRECT_MESSAGES,
    Category.ALL_DATA: DataKind.ALL,
}


# What an export of each kind asks TikTok for (tiktok-api.md §2.2).
KIND_CATEGORIES: dict[str, tuple[str, ...]] = {
    DataKind.ACTIVITY: (Category.ACTIVITY,),
    DataKind.POSTS_AND_PROFILE: (Category.PROFILE, Category.VIDEO),
    DataKind.DIRECT_MESSAGES: (Category.DIRECT_MESSAGE,),
    DataKind.ALL: (Category.ALL_DATA,),
}


def normalise_kinds(kinds: Iterable[str]) -> list[str]:
    """Known kinds in DataKind's order; "Everything" covers the others, so it stands alone."""
    chosen = set(kinds)
    if DataKind.ALL in chosen:
        return [DataKind.ALL.value]
    return [kind.value for kind in DataKind if kind in chosen]


def categories_of(kinds: Iterable[str]) -> list[str]:
    """The TikTok categories an export of `kinds` asks for."""
    return normalise_categories(
        category for kind in normalise_kinds(kinds) for category in KIND_CATEGORIES[kind]
    )


def describe_contents(categories: Iterable[str]) -> str:
    """An export's contents in the kinds a person chose them by: "Activity, Posts & profile".
    A kind only partly asked for (the task API can ask for posts alone) is named by its part."""
    asked = set(normalise_categories(categories))
    labels = []
    for kind in DataKind:
        covered = set(KIND_CATEGORIES[kind])
        if covered <= asked:
            labels.append(str(kind.label))
            asked -= covered
    labels += [str(Category(category).label) for category in sorted(asked)]
    return ", ".join(labels)


def normalise_categories(categories: Iterable[str]) -> list[str]:
    """TikTok: all_data overrides every other category in the same list."""
    chosen = set(categories)
    if Category.ALL_DATA in chosen:
        return [Category.ALL_DATA.value]
    return sorted(chosen)


def covers(scope: str, categories: Iterable[str]) -> bool:
    """Whether a portability scope allows every one of `categories`."""
    if scope not in ALL_PORTABILITY_SCOPES:
        return False
    kind = scope.removeprefix(PORTABILITY_PREFIX).split(".")[0]
    return all(kind in {DataKind.ALL, CATEGORY_KIND[Category(c)]} for c in categories)


def scope_for_request(
    categories: Iterable[str], granted: Iterable[str], used_up: Iterable[str] = ()
) -> str | None:
    """The scope TikTok will use for a request of `categories`, or None if none allows it.

    An ongoing scope is never used up, so it goes first. Otherwise TikTok uses up the broadest
    once-only scope that covers the request (tiktok-api.md §2.2): "all" before the others.
    """
    wanted = normalise_categories(categories)
    candidates = [s for s in portability_scopes(granted) if covers(s, wanted)]
    ongoing = [s for s in candidates if s.endswith("." + Frequency.ONGOING)]
    if ongoing:
        return sorted(ongoing, key=_narrowest_first)[0]
    single = [s for s in candidates if s not in set(used_up)]
    return sorted(single, key=_narrowest_first)[-1] if single else None


def categories_allowed(granted: Iterable[str], used_up: Iterable[str] = ()) -> list[str]:
    """The categories a person may ask for now, in a stable order."""
    return [c.value for c in Category if scope_for_request([c.value], granted, used_up)]


def kinds_allowed(granted: Iterable[str], used_up: Iterable[str] = ()) -> list[str]:
    """The kinds a person may export now, in DataKind's order."""
    return [
        kind.value
        for kind in DataKind
        if scope_for_request(KIND_CATEGORIES[kind], granted, used_up)
    ]


@dataclass(frozen=True)
class PlannedExport:
    """One export to start: the kinds it contains and the permission TikTok will use for it."""

    kinds: tuple[str, ...]
    scope: str

    @property
    def categories(self) -> list[str]:
        return categories_of(self.kinds)


def plan_exports(
    kinds: Iterable[str], granted: Iterable[str], used_up: Iterable[str] = ()
) -> tuple[list[PlannedExport], list[str]]:
    """How to export `kinds` with the permissions granted: the exports to start, and the kinds
    no permission allows now.

    TikTok's request uses one permission, so kinds allowed by different ones become separate
    exports started together; one export when a single permission covers them all. A once-only
    permission given to one of them is not counted on for the next.
    """
    wanted = normalise_kinds(kinds)
    granted = list(granted)
    together = scope_for_request(categories_of(wanted), granted, used_up)
    if together is not None:
        return [PlannedExport(tuple(wanted), together)], []
    taken = set(used_up)
    by_scope: dict[str, list[str]] = {}
    refused = []
    for kind in wanted:
        scope = scope_for_request(KIND_CATEGORIES[kind], granted, taken)
        if scope is None:
            refused.append(kind)
            continue
        by_scope.setdefault(scope, []).append(kind)
        if scope.endswith("." + Frequency.SINGLE):
            taken.add(scope)
    return [PlannedExport(tuple(group), scope) for scope, group in by_scope.items()], refused


def _narrowest_first(scope: str) -> tuple[bool, str]:
    return (f"{PORTABILITY_PREFIX}{DataKind.ALL}." in scope, scope)
