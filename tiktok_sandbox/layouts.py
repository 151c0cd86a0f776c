"""Which layout a sandbox archive comes in, chosen once, when the request is made.

TikTok has changed the inside of its exports several times (tiktok-archive-layouts.md); the
sandbox can produce each known layout so that a reader can be tested against all of them. A
persona has a default style; the ``TIKTOK_SANDBOX_ARCHIVE_*`` settings that are set override
it. ``archive_style`` is read when a request is created and stored on it, so an archive never
changes once requested, whatever the settings say later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models

if TYPE_CHECKING:
    from tiktok_sandbox.personas import Persona

# How a switch setting may be spelled; anything else (but empty, "the persona's") is an error.
SWITCH_VALUES: dict[str, bool] = {
    "1": True, "true": True, "yes": True, "on": True,
    "0": False, "false": False, "no": False, "off": False,
}  # fmt: skip


class ArchiveLayout(models.TextChoices):
    """The JSON generation of an archive; a text archive uses the English tree of that era."""

    GEN_A = "gen_a", "Gen A (until late 2024); text: the December 2024 tree"
    GEN_B = "gen_b", "Gen B (from December 2024); text: the December 2024 tree"
    GEN_C = "gen_c", "Gen C (2026); text: the current tree"
    GEN_C_DOUBLED = "gen_c_doubled", "Gen C written twice in one file; text: the current tree"

    @property
    def generation(self) -> str:
        """The JSON generation: ``gen_a``, ``gen_b`` or ``gen_c``."""
        return ArchiveLayout.GEN_C.value if self.doubled else self.value

    @property
    def doubled(self) -> bool:
        """Whether ``user_data_tiktok.json`` holds its document twice (invalid JSON as a whole)."""
        return self is ArchiveLayout.GEN_C_DOUBLED


class ArchiveLanguage(models.TextChoices):
    """The language of a text archive's folders, file names and keys (JSON keys never change)."""

    ENGLISH = "en", "English"
    DUTCH = "nl", "Dutch"


@dataclass(frozen=True)
class ArchiveStyle:
    """What an archive looks like besides its content: JSON generation, text language, and
    whether it holds a section no reader knows (``Mystery Feature``)."""

    layout: ArchiveLayout = ArchiveLayout.GEN_C
    language: ArchiveLanguage = ArchiveLanguage.ENGLISH
    unknown_section: bool = False


def archive_style(persona: Persona) -> ArchiveStyle:
    """The style of an archive ``persona`` asks for now: each ``TIKTOK_SANDBOX_ARCHIVE_*``
    setting that is set wins over the persona's default.

    Raises ValueError for a setting the system check (``tiktok_sandbox.E001``) rejects.
    """
    default = persona.archive_style
    layout = settings.TIKTOK_SANDBOX_ARCHIVE_LAYOUT
    language = settings.TIKTOK_SANDBOX_ARCHIVE_LANGUAGE
    unknown = parse_switch(settings.TIKTOK_SANDBOX_ARCHIVE_UNKNOWN_SECTION)
    return ArchiveStyle(
        layout=ArchiveLayout(layout) if layout else default.layout,
        language=ArchiveLanguage(language) if language else default.language,
        unknown_section=default.unknown_section if unknown is None else unknown,
    )


def parse_switch(value: Any) -> bool | None:
    """A switch setting: True or False, or None when unset ("" or None: the persona's default).

    Raises ValueError for anything else.
    """
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if not text:
        return None
    if text not in SWITCH_VALUES:
        raise ValueError(f"{value!r} is not a switch: use one of {', '.join(SWITCH_VALUES)}.")
    return SWITCH_VALUES[text]
