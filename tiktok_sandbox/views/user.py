"""The v2 user info endpoint: ``GET /v2/user/info/?fields=...`` with a bearer token."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from tiktok_sandbox import avatars, scopes
from tiktok_sandbox.api import api_endpoint, api_response, authenticate, require_scopes
from tiktok_sandbox.errors import ApiError
from tiktok_sandbox.models import FaultEndpoint
from tiktok_sandbox.personas import Persona, get_persona


@require_GET
@api_endpoint(FaultEndpoint.USER_INFO)
def user_info(request: HttpRequest) -> HttpResponse:
    """Answer the requested fields of the token's user, in the v2 envelope.

    Errors: ``access_token_invalid`` (401) for a bad token; ``invalid_params`` (400) for a
    missing, empty or unknown field; ``scope_not_authorized`` (401) for a field whose scope
    was not granted.
    """
    grant = authenticate(request).grant
    fields = _requested_fields(request.GET.get("fields", ""))
    require_scopes(grant, (scopes.USER_INFO_FIELDS[field] for field in fields))
    persona = get_persona(grant.open_id)
    if persona is None:
        raise ApiError(
            "internal_error", "The user no longer exists.", HTTPStatus.INTERNAL_SERVER_ERROR
        )
    profile = _profile(request, persona)
    return api_response({"user": {field: profile[field] for field in fields}})


def _requested_fields(value: str) -> list[str]:
    fields = scopes.split_list(value)
    if not fields:
        raise ApiError("invalid_params", "fields is missed in request.")
    if unknown := [field for field in fields if field not in scopes.USER_INFO_FIELDS]:
        raise ApiError("invalid_params", f"Invalid fields: {', '.join(unknown)}.")
    return fields


def _profile(request: HttpRequest, persona: Persona) -> dict[str, Any]:
    """Every user info field of ``persona``; URLs absolute, built from the request."""
    avatar = request.build_absolute_uri(reverse("tiktok_sandbox:avatar", args=[persona.open_id]))
    index = request.build_absolute_uri(reverse("tiktok_sandbox:index"))
    return {
        "open_id": persona.open_id,
        "union_id": persona.union_id,
        **{field: f"{avatar}?size={size}" for field, size in avatars.SIZES.items()},
        "display_name": persona.display_name,
        "bio_description": persona.bio_description,
        "profile_deep_link": f"{index}#{persona.username}",
        "is_verified": persona.is_verified,
        "username": persona.username,
        "follower_count": persona.follower_count,
        "following_count": persona.following_count,
        "likes_count": persona.likes_count,
        "video_count": persona.video_count,
    }
