"""The files of what the site read out of an export: its summary (JSON) and its extracts.
Each is its owner's alone: another signed-in person gets a 404, as for every URL of an export,
and a signed-out visitor is sent to sign in."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from exports.datasets import ReviewedShare
from exports.models import ExportRequest, exports_for
from exports.reader import DATASET_NAMES
from exports.services import sharing
from exports.services.extracts import (
    EXTRACT_FORMATS,
    ExtractNotReadyError,
    csv_rows,
    json_items,
    read_datasets,
    summary_of,
    tables_zip,
)

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@login_required
@never_cache
@require_safe
def export_summary(request: HttpRequest, export_id: uuid.UUID) -> JsonResponse:
    """What the archive holds, as /exports/<id>/summary.json: layout, data sets, unrecognized."""
    export = _owned_or_404(request, export_id)
    return JsonResponse(summary_of(export), json_dumps_params={"ensure_ascii": False})


@login_required
@never_cache
@require_safe
def export_extract(
    request: HttpRequest, export_id: uuid.UUID, dataset: str, extension: str
) -> HttpResponse:
    """One data set as CSV or JSON, streamed whatever its size."""
    export = _owned_or_404(request, export_id)
    if dataset not in DATASET_NAMES or extension not in EXTRACT_FORMATS:
        raise Http404
    _readable_or_404(export)
    if extension == "csv":
        content = (text.encode() for text in csv_rows(export, dataset))
    else:
        content = (text.encode() for text in json_items(export, [dataset]))
    return attachment(content, CONTENT_TYPES[extension], _filename(export, dataset, extension))


@login_required
@never_cache
@require_safe
def export_tables(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    """Every data set of the export as CSV tables in one zip, streamed."""
    export = _owned_or_404(request, export_id)
    _readable_or_404(export)
    return attachment(tables_zip(export), "application/zip", _filename(export, "tables", "zip"))


def _owned_or_404(request: HttpRequest, export_id: uuid.UUID) -> ExportRequest:
    try:
        return exports_for(request.user).get(pk=export_id)
    except ExportRequest.DoesNotExist:
        raise Http404 from None


def _readable_or_404(export: ExportRequest) -> None:
    """Extracts exist while the archive is stored and read."""
    if not export.can_be_downloaded:
        raise Http404
    try:
        read_datasets(export)
    except ExtractNotReadyError:
        raise Http404 from None


def attachment(content, content_type: str, filename: str) -> StreamingHttpResponse:
    """A streamed download under `filename`, never sniffed into something else."""
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _filename(export: ExportRequest, name: str, extension: str) -> str:
    return f"tiktok-{export.created_at:%Y-%m-%d}-{name}.{extension}"


def share_response(share: ReviewedShare) -> StreamingHttpResponse:
    """A reviewed share's zip, made from the records as it downloads."""
    return attachment(sharing.share_zip(share), "application/zip", sharing.share_filename(share))
