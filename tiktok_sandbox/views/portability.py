"""The Data Portability endpoints: add, check, cancel and download (tiktok-api.md §2.3-2.7).

All four are ``POST`` with a JSON body and the person's bearer token, and answer the v2
envelope; Download answers the zip itself when it succeeds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tiktok_sandbox import portability, scopes
from tiktok_sandbox.api import api_endpoint, api_response, authenticate, json_body
from tiktok_sandbox.archives import Archive, ArchiveSpec, build_archive
from tiktok_sandbox.errors import invalid_params
from tiktok_sandbox.models import FaultEndpoint

ADD_FIELDS = ("request_id",)
MAX_INT64 = 2**63 - 1


# Server-to-server calls authenticated by the bearer token: no browser session for CSRF to guard.
@csrf_exempt
@require_POST
@api_endpoint(FaultEndpoint.DATA_ADD)
def add(request: HttpRequest) -> HttpResponse:
    """Create a data request; answer ``{"data": {"request_id": <int64>}}``.

    Errors: ``access_token_invalid`` (401); ``invalid_params`` (400) for a bad ``fields``
    query, body, ``data_format`` or category, or a person outside the EEA and the UK;
    ``scope_not_authorized`` (401) when no granted scope allows the request or it is used up.
    """
    grant = authenticate(request).grant
    _requested_fields(request, ADD_FIELDS, required="request_id")
    body = json_body(request)
    data_request = portability.create_request(
        grant,
        data_format=portability.parse_data_format(body.get("data_format")),
        selection=portability.parse_selection(body.get("category_selection_list")),
    )
    return api_response({"request_id": data_request.request_id})


@csrf_exempt
@require_POST
@api_endpoint(FaultEndpoint.DATA_CHECK)
def check(request: HttpRequest) -> HttpResponse:
    """Answer the requested ``fields`` of one of the person's requests, and nothing else.

    Errors: ``access_token_invalid`` (401); ``scope_not_authorized`` (401) without any
    portability scope; ``invalid_params`` (400) for bad fields or an unknown request.
    """
    grant = authenticate(request).grant
    portability.require_portability_scope(grant)
    fields = _requested_fields(request, portability.CHECK_FIELDS)
    data_request = portability.find_request(grant, _request_id(json_body(request)))
    return api_response(portability.check_data(data_request, fields))


@csrf_exempt
@require_POST
@api_endpoint(FaultEndpoint.DATA_CANCEL)
def cancel(request: HttpRequest) -> HttpResponse:
    """Cancel a pending or ready request; answer only ``{"error": {"code": "ok", ...}}``.

    TikTok's docs put ``request_id`` in the query (parameter table) and in the JSON body (curl
    example); both are accepted, the body first. Errors as for check, plus ``invalid_params``
    for a request that is expired or cancelled already.
    """
    grant = authenticate(request).grant
    portability.require_portability_scope(grant)
    body = json_body(request, allow_empty=True)
    if "request_id" not in body and "request_id" in request.GET:
        body = {"request_id": request.GET["request_id"]}
    portability.cancel_request(grant, _request_id(body))
    return api_response(None)


@csrf_exempt
@require_POST
@api_endpoint(FaultEndpoint.DATA_DOWNLOAD, status_in_body=True)
def download(request: HttpRequest) -> HttpResponse:
    """Stream the zip of a ready request, as often as asked while it stays ready.

    The errors carry ``error.http_status_code`` as TikTok's documented failure does:
    ``invalid_params`` (400) for an unknown, foreign, pending, expired or cancelled request.
    """
    grant = authenticate(request).grant
    portability.require_portability_scope(grant)
    data_request = portability.downloadable_request(grant, _request_id(json_body(request)))
    persona = portability.persona_of(grant)
    archive = build_archive(ArchiveSpec.for_request(data_request, persona))
    response = StreamingHttpResponse(_stream(archive), content_type="application/zip")
    # Known in advance (see archives.zipstream): a client can tell a cut stream from a whole one.
    response["Content-Length"] = str(archive.size)
    filename = f"tiktok_data_{data_request.request_id}.zip"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _stream(archive: Archive) -> Iterator[bytes]:
    """The bytes sent: the archive's chunks. Faults in the stream (a cut, a reset, a stall, a
    flipped byte) are applied to the finished response by the ``api_endpoint`` decorator
    (``tiktok_sandbox.wire``), so the view stays as TikTok's answer when all goes well."""
    return archive.chunks()


def _requested_fields(
    request: HttpRequest, allowed: tuple[str, ...], required: str | None = None
) -> list[str]:
    """The ``fields`` query as a list. Raises ApiError ``invalid_params`` if it is missing or
    empty, names a field not in ``allowed``, or lacks ``required``."""
    fields = scopes.split_list(request.GET.get("fields", ""))
    if not fields:
        raise invalid_params("fields is missed in request.")
    if unknown := [field for field in fields if field not in allowed]:
        raise invalid_params(
            f"Invalid fields: {', '.join(unknown)}. Valid fields: {', '.join(allowed)}."
        )
    if required is not None and required not in fields:
        raise invalid_params(f"fields must include {required}.")
    return fields


def _request_id(body: dict[str, Any]) -> int:
    """The ``request_id`` of a body: an integer, or a string of digits.

    TikTok types it int64, but one of its own examples shows a string; digits in a string are
    accepted so a client that quotes the id is not refused. A float is refused: it means the
    client parsed the id through a float and may have corrupted it.
    """
    value = body.get("request_id")
    if value is None:
        raise invalid_params("request_id is missed in request.")
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_INT64:
        raise invalid_params(f"request_id must be a positive int64, not {value!r}.")
    return value
