"""The consent page: ``GET /v2/auth/authorize/`` shows it, its POST carries the decision."""

from __future__ import annotations

from http import HTTPStatus

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from tiktok_sandbox import grants, registration, scopes
from tiktok_sandbox.authorization import (
    AuthorizeRequest,
    ConsentForm,
    RedirectableError,
    UntrustedRequestError,
    parse_authorize_request,
)
from tiktok_sandbox.faults import take_fault
from tiktok_sandbox.models import FaultEndpoint
from tiktok_sandbox.personas import PERSONAS, default_persona

# Sent to the client as error_description: TikTok's API speaks English, so this is never translated.
CANCELLED = "user cancelled the authorization"


@never_cache
@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    """Show the consent page for a valid request, or refuse it as TikTok would.

    The POST re-validates the whole request from the form's hidden fields, then either redirects
    to the redirect_uri with a code, or with an error (cancel, or an injected fault).
    """
    params = request.GET if request.method == "GET" else request.POST
    try:
        auth_request = parse_authorize_request(params)
    except UntrustedRequestError as exc:
        return _untrusted(request, exc.message)
    except RedirectableError as exc:
        return exc.redirect
    if request.method == "GET":
        form = ConsentForm(
            initial={"persona": default_persona().open_id, "scopes": auth_request.optional_scopes},
            optional_scopes=auth_request.optional_scopes,
        )
        return _consent_page(request, auth_request, form)
    return _decide(request, auth_request)


def _decide(request: HttpRequest, auth_request: AuthorizeRequest) -> HttpResponse:
    fault = take_fault(FaultEndpoint.AUTHORIZE)
    if fault is not None:
        return auth_request.refuse(fault.error, fault.description)
    if request.POST.get("decision") != "authorize":
        return auth_request.refuse("access_denied", CANCELLED)
    form = ConsentForm(request.POST, optional_scopes=auth_request.optional_scopes)
    if not form.is_valid():
        return _consent_page(request, auth_request, form, status=HTTPStatus.BAD_REQUEST)
    granted = form.granted_scopes(auth_request.scopes)
    code = grants.issue_code(
        open_id=form.cleaned_data["persona"],
        granted_scopes=granted,
        redirect_uri=auth_request.redirect_uri,
        code_challenge=auth_request.code_challenge,
        code_challenge_method=auth_request.code_challenge_method,
    )
    return auth_request.redirect(code=code, scopes=scopes.join_list(granted))


def _consent_page(
    request: HttpRequest,
    auth_request: AuthorizeRequest,
    form: ConsentForm,
    status: int = HTTPStatus.OK,
) -> HttpResponse:
    context = {
        "auth_request": auth_request,
        "app_name": registration.app_name(),
        "client_key": registration.client_key(),
        "form": form,
        "personas": PERSONAS,
        "chosen_persona": form["persona"].value(),
        "scope_rows": _scope_rows(auth_request, form),
    }
    return render(request, "tiktok_sandbox/consent.html", context, status=status)


def _scope_rows(auth_request: AuthorizeRequest, form: ConsentForm) -> list[dict[str, object]]:
    ticked = set(form["scopes"].value() or ())
    return [
        {
            "scope": scope,
            "description": scopes.DESCRIPTIONS[scope],
            "required": scope == scopes.BASIC,
            "checked": scope == scopes.BASIC or scope in ticked,
        }
        for scope in auth_request.scopes
    ]


def _untrusted(request: HttpRequest, problem: str) -> HttpResponse:
    context = {"problem": problem, "redirect_uris": registration.redirect_uris()}
    return render(
        request, "tiktok_sandbox/authorize_error.html", context, status=HTTPStatus.BAD_REQUEST
    )
