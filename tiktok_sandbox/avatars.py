"""Generated SVG avatars for the personas: a coloured disc with the persona's initials."""

from __future__ import annotations

from django.utils.html import escape

from tiktok_sandbox.personas import Persona

DEFAULT_SIZE = 168
# TikTok's three avatar fields differ in size: avatar_url_100 and avatar_large_url name theirs.
SIZES = {"avatar_url": DEFAULT_SIZE, "avatar_url_100": 100, "avatar_large_url": 720}
MIN_SIZE, MAX_SIZE = 16, 1080


def render_svg(persona: Persona, size: int = DEFAULT_SIZE) -> str:
    """Return the persona's avatar as an SVG document ``size`` pixels square.

    Colours are presentation attributes, not ``style``, so the site's CSP (style-src 'self')
    does not block them when the SVG is opened on its own.
    """
    background, foreground = persona.avatar_colors
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 100 100" role="img" aria-label="{escape(persona.display_name)}">'
        f'<circle cx="50" cy="50" r="50" fill="{background}"/>'
        f'<text x="50" y="50" dy="0.35em" text-anchor="middle" fill="{foreground}" '
        'font-family="Helvetica, Arial, sans-serif" font-size="38" font-weight="700">'
        f"{escape(persona.initials)}</text></svg>"
    )


def clamp_size(requested: str | None) -> int:
    """Turn a ``size`` query value into a sane pixel size, falling back to the default."""
    if requested is None or not requested.isdigit():
        return DEFAULT_SIZE
    return max(MIN_SIZE, min(MAX_SIZE, int(requested)))
