"""What operators look at: how the readings of archives went, and the sections of TikTok's
exports the reader does not know yet (TikTok changed its layout: the catalog needs them).

Read-only: the worker writes these rows; the person's records themselves are not shown."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from exports.datasets import ExportReading, ExportSection


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class HasUnrecognized(admin.SimpleListFilter):
    title = _("sections not read")
    parameter_name = "unrecognized"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("yes", _("Some")), ("no", _("None"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.exclude(unrecognized=[])
        if self.value() == "no":
            return queryset.filter(unrecognized=[])
        return queryset


@admin.register(ExportReading)
class ExportReadingAdmin(ReadOnlyAdmin):
    list_display = (
        "export_id",
        "state",
        "layout_format",
        "layout_generation",
        "layout_language",
        "unrecognized_sections",
        "finished_at",
    )
    list_filter = (
        "state",
        "layout_format",
        "layout_generation",
        "layout_language",
        HasUnrecognized,
    )
    readonly_fields = [field.name for field in ExportReading._meta.fields]
    ordering = ("-updated_at",)

    @admin.display(description=_("sections not read"))
    def unrecognized_sections(self, reading: ExportReading) -> str:
        return "; ".join(f"{s['path']} ({s['items']})" for s in reading.unrecognized) or "-"


@admin.register(ExportSection)
class ExportSectionAdmin(ReadOnlyAdmin):
    """Every path found in every archive; filter on an empty data set to see the drift."""

    list_display = ("path", "dataset", "items", "export_id")
    list_filter = ("dataset",)
    search_fields = ("path",)
