"""Read-only views of the sandbox's state for an operator, and editable faults.

Codes and tokens show only as digests; their plaintext is never stored.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from tiktok_sandbox.faults import validate_fault
from tiktok_sandbox.models import (
    AuthorizationCode,
    Grant,
    PortabilityRequest,
    SandboxFault,
    TokenPair,
    WebhookDelivery,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """The sandbox issues these rows itself; an operator only looks at them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuthorizationCode)
class AuthorizationCodeAdmin(ReadOnlyAdmin):
    list_display = ["open_id", "client_key", "scopes", "created_at", "expires_at", "used_at"]
    list_filter = ["client_key"]
    search_fields = ["open_id"]


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = ["open_id", "client_key", "scopes", "created_at", "revoked_at"]
    list_filter = ["client_key"]
    search_fields = ["open_id"]


@admin.register(TokenPair)
class TokenPairAdmin(ReadOnlyAdmin):
    list_display = ["grant", "created_at", "access_expires_at", "refresh_expires_at", "rotated_at"]
    list_select_related = ["grant"]


class SandboxFaultForm(forms.ModelForm):
    """Refuses what ``inject_fault`` refuses, with its explanation."""

    class Meta:
        model = SandboxFault
        fields = [
            "endpoint",
            "kind",
            "error",
            "http_status",
            "description",
            "retry_after",
            "at_fraction",
            "stall_seconds",
            "remaining",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            validate_fault(
                data.get("endpoint", ""),
                kind=data.get("kind", ""),
                error=data.get("error", ""),
                http_status=data.get("http_status"),
                description=data.get("description", ""),
                times=data.get("remaining") or 0,
                retry_after=data.get("retry_after"),
                at=data.get("at_fraction"),
                seconds=data.get("stall_seconds"),
            )
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        return data


@admin.register(SandboxFault)
class SandboxFaultAdmin(admin.ModelAdmin):
    """Faults may also be injected by hand, e.g. to try the site's error pages in a browser,
    or to watch the site recover from a download that breaks off."""

    form = SandboxFaultForm
    list_display = [
        "endpoint",
        "kind",
        "error",
        "http_status",
        "at_fraction",
        "remaining",
        "created_at",
        "last_taken_at",
    ]
    list_filter = ["endpoint", "kind"]


@admin.register(PortabilityRequest)
class PortabilityRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "request_id",
        "open_id",
        "scope",
        "data_format",
        "category_selection_list",
        "applied_at",
        "ready_at",
        "expires_at",
        "cancelled_at",
        "archive_layout",
        "archive_language",
    ]
    list_filter = ["data_format", "scope", "archive_layout", "archive_language"]
    search_fields = ["=request_id", "open_id"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """Every event the sandbox sent or will send, with the outcome of its last attempt."""

    list_display = [
        "event",
        "open_id",
        "state",
        "due_at",
        "attempts",
        "last_status_code",
        "last_error",
        "delivered_at",
    ]
    list_filter = ["event", "state"]
    search_fields = ["open_id"]
