"""The sandbox's own pages: the index that explains it, and the personas' avatars."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from tiktok_sandbox import avatars, registration, scopes, webhooks
from tiktok_sandbox.layouts import archive_style, parse_switch
from tiktok_sandbox.personas import PERSONAS, get_persona


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Explain the sandbox: personas, the registered app (never its secret), lifetimes, and how
    data exports behave, down to the layout of each persona's archives."""
    lifetimes = registration.lifetimes()
    context = {
        "personas": PERSONAS,
        "app_name": registration.app_name(),
        "client_key": registration.client_key(),
        "redirect_uris": registration.redirect_uris(),
        "lifetimes": [
            (_("Authorization code"), int(lifetimes.code.total_seconds())),
            (_("Access token"), int(lifetimes.access_token.total_seconds())),
            (_("Refresh token"), int(lifetimes.refresh_token.total_seconds())),
        ],
        "scopes": scopes.DESCRIPTIONS.items(),
        "exports": {
            "ready_after": settings.TIKTOK_SANDBOX_EXPORT_READY_AFTER,
            "expires_after": settings.TIKTOK_SANDBOX_EXPORT_EXPIRES_AFTER,
            "archive_size": settings.TIKTOK_SANDBOX_ARCHIVE_SIZE,
            "archive_layout": settings.TIKTOK_SANDBOX_ARCHIVE_LAYOUT,
            "archive_language": settings.TIKTOK_SANDBOX_ARCHIVE_LANGUAGE,
            "unknown_section": parse_switch(settings.TIKTOK_SANDBOX_ARCHIVE_UNKNOWN_SECTION),
            "webhook_url": webhooks.webhook_url(),
        },
        # What a request made now gets: the settings that are set win over each default.
        "archive_styles": [(persona, archive_style(persona)) for persona in PERSONAS],
    }
    return render(request, "tiktok_sandbox/index.html", context)


@require_GET
@cache_control(public=True, max_age=86400)
def avatar(request: HttpRequest, open_id: str) -> HttpResponse:
    """Serve a persona's generated avatar; ``?size=`` picks the pixel size."""
    persona = get_persona(open_id)
    if persona is None:
        raise Http404("No such sandbox persona.")
    svg = avatars.render_svg(persona, avatars.clamp_size(request.GET.get("size")))
    return HttpResponse(svg, content_type="image/svg+xml")
