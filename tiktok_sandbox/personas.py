"""The sandbox's TikTok users: a few fixed personas a person can sign in as.

Their ids never change, so an account created through the sandbox finds its way back to the same
persona after the database of the site (not of the sandbox) is kept and the sandbox's is reset.
"""

from __future__ import annotations

from dataclasses import dataclass

from tiktok_sandbox.layouts import ArchiveLanguage, ArchiveLayout, ArchiveStyle

# The European Economic Area plus the United Kingdom: where TikTok offers Data Portability.
EEA_AND_UK: frozenset[str] = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IS",
        "IE", "IT", "LV", "LI", "LT", "LU", "MT", "NL", "NO", "PL", "PT", "RO", "SK", "SI",
        "ES", "SE", "GB",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Persona:
    """One sandbox TikTok user and everything user info can say about them."""

    open_id: str
    union_id: str
    display_name: str
    username: str
    bio_description: str
    is_verified: bool
    follower_count: int
    following_count: int
    likes_count: int
    video_count: int
    region: str
    # Two colours of the generated avatar: background, then initials.
    avatar_colors: tuple[str, str]
    # The layout of the persona's archives unless the TIKTOK_SANDBOX_ARCHIVE_* settings say
    # otherwise: each known layout is some persona's, so every one of them is a sign-in away.
    archive_layout: ArchiveLayout = ArchiveLayout.GEN_C
    archive_language: ArchiveLanguage = ArchiveLanguage.ENGLISH
    archive_unknown_section: bool = False

    @property
    def in_eea_or_uk(self) -> bool:
        """Whether the persona lives where TikTok offers Data Portability."""
        return self.region in EEA_AND_UK

    @property
    def archive_style(self) -> ArchiveStyle:
        """The persona's default archive style."""
        return ArchiveStyle(
            self.archive_layout, self.archive_language, self.archive_unknown_section
        )

    @property
    def initials(self) -> str:
        """Up to two initials of the display name, for the avatar."""
        return "".join(word[0] for word in self.display_name.split()[:2]).upper()


PERSONAS: tuple[Persona, ...] = (
    Persona(
        open_id="sbx-4f1c2a9e-7b3d-4e58-9a61-0c2d8e5f7a10",
        union_id="sbx-u-8d2e6b14-3c7a-4f09-b5e2-91a7c0d3e6f4",
        display_name="Lucía Fernández",
        username="lucia.dances",
        bio_description="Flamenco in Sevilla. New videos every Friday.",
        is_verified=True,
        follower_count=128_400,
        following_count=312,
        likes_count=2_941_870,
        video_count=214,
        region="ES",
        avatar_colors=("#FE2C55", "#FFFFFF"),
    ),
    Persona(
        open_id="sbx-9a7e5d31-2f8b-4c6a-8e14-b3f0a6c9d275",
        union_id="sbx-u-1b6f0c8a-9d42-4e7b-a3c5-5e8d2f1a7b96",
        display_name="Jonas Becker",
        username="jonas.bakes",
        bio_description="Sourdough, rye and too much coffee. Berlin.",
        is_verified=False,
        follower_count=4_210,
        following_count=587,
        likes_count=61_305,
        video_count=97,
        region="DE",
        avatar_colors=("#161823", "#25F4EE"),
        archive_layout=ArchiveLayout.GEN_B,
    ),
    Persona(
        open_id="sbx-2c8d4b6f-5e1a-4f37-9c0b-d7e9a4f2b813",
        union_id="sbx-u-6e3a9f27-0b5c-4d18-8f6e-2a4c7b9d1e05",
        display_name="Amara Okafor",
        username="amara.reads",
        bio_description="Book reviews in 60 seconds from Manchester.",
        is_verified=False,
        follower_count=23_977,
        following_count=1_043,
        likes_count=480_112,
        video_count=356,
        region="GB",
        avatar_colors=("#25F4EE", "#161823"),
        archive_layout=ArchiveLayout.GEN_A,
    ),
    Persona(
        open_id="sbx-7e0f3a58-8c2d-4b91-a6f4-1d5b9e3c7a26",
        union_id="sbx-u-3f9b1d64-7a0e-4c25-9b8d-e6c2a5f0d714",
        display_name="Tyler Brooks",
        username="tyler.hikes",
        bio_description="Trails of Colorado. Not in the EU, so no Data Portability for me.",
        is_verified=False,
        follower_count=912,
        following_count=204,
        likes_count=7_530,
        video_count=41,
        region="US",
        avatar_colors=("#6C2BD9", "#FFFFFF"),
    ),
    Persona(
        open_id="sbx-5b3e8c1d-6a9f-4d27-b0e4-7c2f9a1d6b38",
        union_id="sbx-u-a4d7f2c9-1e6b-4a83-9d05-3b8e6c0f2a71",
        display_name="Sanne de Vries",
        username="sanne.cycles",
        bio_description="Cycling through Utrecht, rain or shine.",
        is_verified=False,
        # No followers yet: her export has an empty section, as a new account's does.
        follower_count=0,
        following_count=143,
        likes_count=57,
        video_count=6,
        region="NL",
        avatar_colors=("#F5A623", "#161823"),
        archive_layout=ArchiveLayout.GEN_C_DOUBLED,
        archive_language=ArchiveLanguage.DUTCH,
        archive_unknown_section=True,
    ),
)


def get_persona(open_id: str) -> Persona | None:
    """Return the persona with ``open_id``, or None if there is none."""
    return next((persona for persona in PERSONAS if persona.open_id == open_id), None)


def default_persona() -> Persona:
    """Return the persona preselected on the consent page."""
    return PERSONAS[0]
