"""The archive explorer's pages: an export's overview with its charts, its tables and search,
the comparison with the export before, and reviewed shares. Each is its owner's alone: another
person gets a 404, as for every URL of an export (exports_for).

The charts are SVG drawn here on the server (exports.charts): no script, nothing fetched from
elsewhere, and each has its numbers in a table beside it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from exports import charts
from exports.data_views import share_response
from exports.dataset_labels import field_label, label_of
from exports.datasets import ExportReading, ReviewedShare
from exports.forms import BrowseForm, OfferShareForm, OverviewForm, ShareForm
from exports.models import ApiToken, ExportRequest, exports_for
from exports.reader import DATASET_NAMES
from exports.services import explorer, sharing
from exports.services.extracts import read_datasets
from exports.services.reading import read_dataset_rows, reading_of
from exports.templatetags.explorer import number

WEEKDAYS = (
    dt.date(2024, 1, 1),  # a Monday: the weekdays' names come from the date formats
    dt.date(2024, 1, 2),
    dt.date(2024, 1, 3),
    dt.date(2024, 1, 4),
    dt.date(2024, 1, 5),
    dt.date(2024, 1, 6),
    dt.date(2024, 1, 7),
)


def _export_or_404(request: HttpRequest, export_id: uuid.UUID) -> ExportRequest:
    export = exports_for(request.user).filter(pk=export_id).first()
    if export is None:
        raise Http404
    return export


def _read_or_404(request: HttpRequest, export_id: uuid.UUID) -> tuple[ExportRequest, Any]:
    """The person's export whose archive is stored and read, with its reading."""
    export = _export_or_404(request, export_id)
    reading = reading_of(export)
    if reading is None or not reading.is_done:
        raise Http404
    return export, reading


@login_required
@never_cache
@require_safe
def overview(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    export = _export_or_404(request, export_id)
    reading = reading_of(export)
    if reading is None or not reading.is_done:
        return render(
            request, "exports/explore_waiting.html", {"export": export, "reading": reading}
        )
    form = OverviewForm(
        request.GET or None,
        gaps=explorer.SESSION_GAPS,
        default_gap=int(explorer.DEFAULT_SESSION_GAP.total_seconds() // 60),
    )
    if request.GET and not form.is_valid():
        context = _overview_context(export, reading, form, explorer.Period(zone=_zone()), None)
        return render(request, "exports/explore_overview.html", context, status=400)
    cleaned = form.cleaned_data if form.is_bound else {}
    period = explorer.Period(cleaned.get("since"), cleaned.get("until"), _zone())
    minutes = cleaned.get("gap") or form.fields["gap"].initial
    found = explorer.overview_of(export, reading, period, dt.timedelta(minutes=minutes))
    context = _overview_context(export, reading, form, period, found)
    return render(request, "exports/explore_overview.html", context)


def _overview_context(
    export: ExportRequest,
    reading: ExportReading,
    form: OverviewForm,
    period: explorer.Period,
    found: explorer.Overview | None,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "export": export,
        "reading": reading,
        "form": form,
        "period": period,
        "hours": range(24),
        "datasets": read_dataset_rows(reading),
        "files": sorted(reading.files, key=lambda file: file["name"]),
        "files_size": sum(file["size"] for file in reading.files),
        "previous": explorer.previous_export_of(export),
        "overview": found,
    }
    if found is not None:
        context["charts"] = _charts(found)
        context["heat_rows"] = [
            (formats.date_format(day, "l"), row)
            for day, row in zip(WEEKDAYS, found.heatmap, strict=True)
        ]
        context["activity"] = [
            (name, label_of(name), months) for name, months in found.activity_per_month.items()
        ]
        context["follows"] = [
            (name, label_of(name), months) for name, months in found.follows_per_month.items()
        ]
    return context


def _zone() -> dt.tzinfo:
    return timezone.get_current_timezone()


def _day(day: dt.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _month(day: dt.date) -> str:
    return formats.date_format(day, "YEAR_MONTH_FORMAT")


def _number(value: float) -> str:
    return number(value)


def _charts(found: explorer.Overview) -> dict[str, str]:
    """Every chart of the overview as SVG (marked safe: exports.charts escapes what it draws)."""
    drawn: dict[str, str] = {}
    if found.watched_per_day:
        days = found.watched_per_day
        busiest = max(days, key=lambda item: item[1])
        drawn["per_day"] = charts.bar_chart(
            [charts.Bar(_day(day), n) for day, n in days],
            chart_id="watched-per-day",
            title=_("Videos watched per day"),
            description=_(
                "%(videos)s videos over %(days)s days, from %(first)s to %(last)s; the busiest "
                "day was %(busiest)s with %(most)s."
            )
            % {
                "videos": _number(sum(n for _day_, n in days)),
                "days": _number(len(days)),
                "first": _day(days[0][0]),
                "last": _day(days[-1][0]),
                "busiest": _day(busiest[0]),
                "most": _number(busiest[1]),
            },
            format_number=_number,
            empty_text=_("Nothing to show in these days."),
        )
        weeks = found.watched_per_week
        drawn["per_week"] = charts.bar_chart(
            [charts.Bar(_("Week of %(day)s") % {"day": _day(day)}, n) for day, n in weeks],
            chart_id="watched-per-week",
            title=_("Videos watched per week"),
            description=_("%(weeks)s weeks; on average %(mean)s videos a week.")
            % {
                "weeks": _number(len(weeks)),
                "mean": _number(round(sum(n for _day_, n in weeks) / len(weeks), 1)),
            },
            format_number=_number,
            empty_text=_("Nothing to show in these days."),
        )
        hours = [str(hour) for hour in range(24)]
        weekday_names = [formats.date_format(day, "D") for day in WEEKDAYS]
        peak_day, peak_hour = max(
            ((d, h) for d in range(7) for h in range(24)),
            key=lambda dh: found.heatmap[dh[0]][dh[1]],
        )
        drawn["heatmap"] = charts.heatmap(
            found.heatmap,
            row_labels=weekday_names,
            column_labels=hours,
            chart_id="watched-by-hour",
            title=_("When you watch: weekday and hour"),
            description=_("Most videos start on %(weekday)s at %(hour)s:00 (%(videos)s).")
            % {
                "weekday": formats.date_format(WEEKDAYS[peak_day], "l"),
                "hour": peak_hour,
                "videos": _number(found.heatmap[peak_day][peak_hour]),
            },
            format_number=_number,
            empty_text=_("Nothing to show in these days."),
        )
    for name, months in found.activity_per_month.items():
        drawn[f"activity_{name}"] = _monthly_chart(name, months, f"{name}-per-month")
    for name, months in found.follows_per_month.items():
        drawn[f"follows_{name}"] = _monthly_chart(name, months, f"{name}-per-month")
    ranked = {
        "top_searches": (found.top_searches, _("Your most frequent searches")),
        "devices": (found.logins_by_device, _("Logins by device")),
        "networks": (found.logins_by_network, _("Logins by network")),
        "conversations": (found.messages_per_conversation, _("Messages per conversation")),
    }
    for key, (items, title) in ranked.items():
        if items:
            drawn[key] = charts.horizontal_bar_chart(
                [charts.Bar(label, n) for label, n in items],
                chart_id=key.replace("_", "-"),
                title=title,
                description="; ".join(f"{label}: {_number(n)}" for label, n in items),
                format_number=_number,
                empty_text=_("Nothing to show in these days."),
            )
    # exports.charts escapes every value it draws (labels come from the archive).
    return {key: mark_safe(svg) for key, svg in drawn.items()}  # noqa: S308  # nosec B308 B703


def _monthly_chart(name: str, months: list[tuple[dt.date, int]], chart_id: str) -> str:
    total = sum(n for _month_, n in months)
    return charts.bar_chart(
        [charts.Bar(_month(month), n) for month, n in months],
        chart_id=chart_id.replace("_", "-"),
        title=_("%(data)s per month") % {"data": label_of(name)},
        description=_("%(total)s from %(first)s to %(last)s.")
        % {"total": _number(total), "first": _month(months[0][0]), "last": _month(months[-1][0])},
        format_number=_number,
        empty_text=_("Nothing to show in these days."),
    )


@login_required
@never_cache
@require_safe
def browse(request: HttpRequest, export_id: uuid.UUID, dataset: str) -> HttpResponse:
    """One data set of the export as a table, page by page, with a period and a search."""
    export, reading = _read_or_404(request, export_id)
    if dataset not in DATASET_NAMES or dataset not in read_datasets(export):
        raise Http404
    context, status = _table_context(
        request, export, reading, datasets=[dataset], title=label_of(dataset), dataset=dataset
    )
    return render(request, "exports/explore_table.html", context, status=status)


@login_required
@never_cache
@require_safe
def search(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    """A search across every data set of the export."""
    export, reading = _read_or_404(request, export_id)
    context, status = _table_context(
        request,
        export,
        reading,
        datasets=read_datasets(export),
        title=_("Search your data"),
        dataset="",
    )
    return render(request, "exports/explore_table.html", context, status=status)


def _table_context(
    request: HttpRequest,
    export: ExportRequest,
    reading: ExportReading,
    *,
    datasets: list[str],
    title: str,
    dataset: str,
    share: ReviewedShare | None = None,
) -> tuple[dict[str, Any], int]:
    """A page of records as a table (context, status): 400 with the form's errors for a bad
    period, search or page link."""
    form = BrowseForm(request.GET or None)
    context: dict[str, Any] = {
        "export": export,
        "reading": reading,
        "form": form,
        "title": title,
        "dataset": dataset,
        "share": share,
        "datasets": read_dataset_rows(reading),
    }
    if form.is_bound and not form.is_valid():
        return context, 400
    cleaned = form.cleaned_data if form.is_bound else {}
    cursor = None
    if cleaned.get("after"):
        try:
            cursor = explorer.Cursor.decode(cleaned["after"])
        except explorer.BadCursorError:
            form.add_error(None, _("That page link is broken. Start again from the first page."))
            return context, 400
    # A share's review shows the share's days (struck rows stay, marked, to be put back).
    if share is not None:
        period = sharing.period_of(share)
    else:
        period = explorer.Period(cleaned.get("since"), cleaned.get("until"), _zone())
    page = explorer.page_of(
        export,
        datasets,
        period=period,
        query=cleaned.get("q", ""),
        newest_first=form.newest_first if form.is_bound else True,
        cursor=cursor,
    )
    struck = set(share.struck) if share is not None else set()
    context["page"] = page
    # Links are the row's "On TikTok" column, not a column of text.
    columns = tuple(column for column in page.columns if column != "link")
    context["columns"] = [(column, field_label(column)) for column in columns]
    context["rows"] = [_row_cells(row, columns, struck) for row in page.rows]
    context["next_query"] = _query_with(request, after=page.next_cursor)
    context["first_query"] = _query_with(request, after=None)
    context["show_dataset"] = len(datasets) > 1
    context["searching"] = bool(cleaned.get("q"))
    return context, 200


def _row_cells(row: explorer.Row, columns: tuple[str, ...], struck: set[int]) -> dict[str, Any]:
    return {
        "row": row,
        "label": label_of(row.dataset),
        "cells": [_cell(row.fields.get(column)) for column in columns],
        "struck": row.position in struck,
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return _number(value)
    return str(value)


def _query_with(request: HttpRequest, *, after: str | None) -> str | None:
    query = request.GET.copy()
    query.pop("after", None)
    if after is None and request.GET.get("after") is None:
        return None
    if after is not None:
        query["after"] = after
    return query.urlencode()


@login_required
@never_cache
@require_safe
def compare(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    """What changed since the person's export before this one."""
    export, reading = _read_or_404(request, export_id)
    previous = explorer.previous_export_of(export)
    context = {"export": export, "reading": reading, "previous": previous}
    if previous is not None:
        comparison = explorer.compare(export, previous)
        context["comparison"] = comparison
        context["people"] = [
            (name, label_of(name), change) for name, change in comparison.people.items()
        ]
        context["since"] = [
            (name, label_of(name), n) for name, n in comparison.since_previous.items()
        ]
        context["layout_changes"] = [
            _layout_sentence(change) for change in comparison.layout_changes
        ]
    return render(request, "exports/explore_compare.html", context)


def _layout_sentence(change: explorer.LayoutChange) -> str:
    data = label_of(change.dataset) if change.dataset else ""
    if change.kind == "moved":
        return _("TikTok moved your %(data)s from “%(before)s” to “%(after)s”.") % {
            # Mid-sentence a data set's name is a common noun: lower case, but German capitalises
            # every noun.
            "data": data if get_language() == "de" else data.lower(),
            "before": change.before,
            "after": change.after,
        }
    if change.kind == "new":
        return _("New in this export: %(data)s (in “%(after)s”).") % {
            "data": data,
            "after": change.after,
        }
    if change.kind == "gone":
        return _("No longer in this export: %(data)s (was in “%(before)s”).") % {
            "data": data,
            "before": change.before,
        }
    if change.kind == "format":
        return _("The export's format changed from %(before)s to %(after)s.") % {
            "before": change.before.upper(),
            "after": change.after.upper(),
        }
    if change.kind == "generation":
        return _("TikTok's layout changed from generation %(before)s to %(after)s.") % {
            "before": change.before,
            "after": change.after,
        }
    return _("The export's language changed from %(before)s to %(after)s.") % {
        "before": change.before,
        "after": change.after,
    }


# -- Reviewed shares -----------------------------------------------------------------------------


def _share_or_404(export: ExportRequest, share_id: uuid.UUID) -> ReviewedShare:
    share = sharing.shares_of(export).filter(pk=share_id).first()
    if share is None:
        raise Http404
    return share


@login_required
@never_cache
def new_share(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    """Choosing what a share holds; then its review page."""
    export, reading = _read_or_404(request, export_id)
    choices = [(name, label_of(name)) for name in read_datasets(export)]
    form = ShareForm(request.POST or None, datasets=choices)
    if request.method == "POST":
        if form.is_valid():
            try:
                share = sharing.create_share(
                    export,
                    datasets=form.cleaned_data["datasets"],
                    since=form.cleaned_data.get("since"),
                    until=form.cleaned_data.get("until"),
                    file_format=form.cleaned_data["file_format"],
                    time_zone=str(_zone()),
                )
            except sharing.ShareError:
                form.add_error("datasets", _("Choose at least one kind of data."))
            else:
                return redirect("explore_share", export.pk, share.pk)
        status = 400
    else:
        status = 200
    context = {
        "export": export,
        "reading": reading,
        "form": form,
        "shares": sharing.shares_of(export),
    }
    return render(request, "exports/share_new.html", context, status=status)


@login_required
@never_cache
@require_safe
def share_detail(request: HttpRequest, export_id: uuid.UUID, share_id: uuid.UUID) -> HttpResponse:
    """A share's review: its rows page by page, each one a button away from being left out."""
    export, reading = _read_or_404(request, export_id)
    share = _share_or_404(export, share_id)
    context, status = _table_context(
        request,
        export,
        reading,
        datasets=share.datasets,
        title=_("Review what you share"),
        dataset="",
        share=share,
    )
    context["offer_form"] = OfferShareForm(
        initial={"token": share.offered_to_id}, tokens=_token_choices(request)
    )
    context["dataset_labels"] = [label_of(name) for name in share.datasets]
    context["api_tokens_url"] = reverse("api_tokens")
    return render(request, "exports/share_detail.html", context, status=status)


def _token_choices(request: HttpRequest) -> list[tuple[int, str]]:
    return list(ApiToken.objects.usable().filter(user=request.user).values_list("pk", "name"))


@login_required
@require_POST
def strike_share_row(
    request: HttpRequest, export_id: uuid.UUID, share_id: uuid.UUID
) -> HttpResponse:
    """Leaves one row out of the share, or (`restore`) puts it back."""
    export, _reading = _read_or_404(request, export_id)
    share = _share_or_404(export, share_id)
    position = request.POST.get("position", "")
    if not position.isdigit() or len(position) > 18:
        return render(
            request,
            "exports/share_problem.html",
            {"export": export, "share": share, "problem": _("That row is not in this share.")},
            status=400,
        )
    try:
        sharing.set_struck(share, int(position), struck=not request.POST.get("restore"))
    except sharing.ShareError as error:
        problem = (
            _("You have left out as many rows as one share can: narrow its days instead.")
            if str(error) == "too_many_struck"
            else _("That row is not in this share.")
        )
        return render(
            request,
            "exports/share_problem.html",
            {"export": export, "share": share, "problem": problem},
            status=400,
        )
    back = request.POST.get("back", "")
    suffix = f"?{back}" if back and len(back) < 512 and "\n" not in back else ""
    return redirect(f"{_share_url(export, share)}{suffix}#row-{position}")


def _share_url(export: ExportRequest, share: ReviewedShare) -> str:
    return reverse("explore_share", args=[export.pk, share.pk])


@login_required
@require_POST
def offer_share(request: HttpRequest, export_id: uuid.UUID, share_id: uuid.UUID) -> HttpResponse:
    """Offers the share to the holder of one of the person's API tokens, or to none."""
    export, _reading = _read_or_404(request, export_id)
    share = _share_or_404(export, share_id)
    form = OfferShareForm(request.POST, tokens=_token_choices(request))
    if not form.is_valid():
        return render(
            request,
            "exports/share_problem.html",
            {"export": export, "share": share, "problem": _("Choose one of your API tokens.")},
            status=400,
        )
    token_id = form.cleaned_data["token"]
    token = ApiToken.objects.usable().filter(user=request.user, pk=token_id).first()
    sharing.offer(share, token)
    if token is None:
        messages.success(request, _("This share is offered to no service."))
    else:
        messages.success(
            request,
            _("The service holding “%(name)s” can now download this share.") % {"name": token.name},
        )
    return redirect("explore_share", export.pk, share.pk)


@login_required
@require_POST
def delete_share(request: HttpRequest, export_id: uuid.UUID, share_id: uuid.UUID) -> HttpResponse:
    export, _reading = _read_or_404(request, export_id)
    sharing.delete_share(_share_or_404(export, share_id))
    messages.success(request, _("The share is deleted. Your export is as it was."))
    return redirect("explore_new_share", export.pk)


@login_required
@never_cache
@require_safe
def download_share(request: HttpRequest, export_id: uuid.UUID, share_id: uuid.UUID) -> HttpResponse:
    """The share's zip, made from the records as it downloads."""
    export, _reading = _read_or_404(request, export_id)
    share = _share_or_404(export, share_id)
    return share_response(share)
