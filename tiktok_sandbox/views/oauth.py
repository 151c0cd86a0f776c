"""The OAuth endpoints a client calls server to server: token and revoke."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tiktok_sandbox import grants, registration, webhooks
from tiktok_sandbox.api import oauth_endpoint, oauth_response
from tiktok_sandbox.errors import OAuthError, invalid_client, invalid_request
from tiktok_sandbox.models import FaultEndpoint

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


# Server-to-server calls authenticated by the client secret: there is no browser session for
# CSRF protection to guard.
@csrf_exempt
@require_POST
@oauth_endpoint(FaultEndpoint.TOKEN)
def token(request: HttpRequest) -> HttpResponse:
    """Exchange an authorization code or a refresh token for a new token pair.

    Answers TikTok's flat seven-field object, or a flat OAuth error (401 for a bad client,
    400 otherwise).
    """
    form = _client_form(request)
    grant_type = form.get("grant_type", "")
    if grant_type == "authorization_code":
        issued = grants.exchange_code(
            client_key=form["client_key"],
            code=_required(form, "code"),
            redirect_uri=_required(form, "redirect_uri"),
            code_verifier=form.get("code_verifier", ""),
        )
    elif grant_type == "refresh_token":
        issued = grants.refresh(
            client_key=form["client_key"], refresh_token=_required(form, "refresh_token")
        )
    elif not grant_type:
        raise invalid_request("grant_type is missed in request.")
    else:
        raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported.")
    return oauth_response(issued.as_response())


@csrf_exempt
@require_POST
@oauth_endpoint(FaultEndpoint.REVOKE)
def revoke(request: HttpRequest) -> HttpResponse:
    """Revoke an access token and everything issued with it; answer ``{}``.

    An unknown token also gets ``{}``: RFC 7009 §2.2 answers 200 for an invalid token, since
    the client's aim (the token no longer works) is met, and TikTok documents nothing else.
    Revoking a live grant sends ``authorization.removed`` (reason 5, developer revoked).
    """
    form = _client_form(request)
    grant = grants.revoke_access_token(
        client_key=form["client_key"], access_token=_required(form, "token")
    )
    if grant is not None:
        webhooks.authorization_removed(grant, webhooks.REASON_DEVELOPER_REVOKED)
    return oauth_response({})


def _client_form(request: HttpRequest) -> QueryDict:
    """Return the form body of an OAuth request whose client credentials are valid.

    Raises OAuthError ``invalid_request`` for a body that is not form-encoded and
    ``invalid_client`` for missing or wrong credentials.
    """
    if request.content_type != FORM_CONTENT_TYPE:
        raise invalid_request(f"Content-Type must be {FORM_CONTENT_TYPE}.")
    form = request.POST
    if not registration.is_valid_client(form.get("client_key", ""), form.get("client_secret", "")):
        raise invalid_client()
    return form


def _required(form: QueryDict, name: str) -> str:
    value = form.get(name, "")
    if not value:
        raise invalid_request(f"{name} is missed in request.")
    return value
