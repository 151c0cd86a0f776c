"""The authorization request TikTok's consent page receives, and the person's answer to it.

Validation has two tiers, as at any OAuth server: a request whose client or redirect_uri cannot
be trusted gets an error page (redirecting it would make the sandbox an open redirector); every
other problem is sent back to the client's redirect_uri as ``error`` + ``error_description``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from django import forms
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiktok_sandbox import pkce, registration, scopes
from tiktok_sandbox.personas import PERSONAS

# The query parameters of the authorize URL, carried through the consent form unchanged.
QUERY_PARAMETERS = (
    "client_key",
    "response_type",
    "scope",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
    "disable_auto_auth",
)


class UntrustedRequestError(Exception):
    """The request cannot be answered by a redirect; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RedirectableError(Exception):
    """The request is refused with a redirect carrying ``error`` and ``error_description``."""

    def __init__(self, redirect: HttpResponseRedirect) -> None:
        super().__init__(redirect["Location"])
        self.redirect = redirect


@dataclass(frozen=True)
class AuthorizeRequest:
    """A validated authorization request."""

    query: dict[str, str]
    redirect_uri: str
    state: str
    scopes: tuple[str, ...]
    code_challenge: str
    code_challenge_method: str

    @property
    def optional_scopes(self) -> tuple[str, ...]:
        """The requested scopes the person may untick: all but user.info.basic."""
        return tuple(scope for scope in self.scopes if scope != scopes.BASIC)

    def redirect(self, **params: str) -> HttpResponseRedirect:
        """Send the browser back to the client with ``params`` and the request's state."""
        return redirect_with(self.redirect_uri, {**params, "state": self.state})

    def refuse(self, error: str, description: str) -> HttpResponseRedirect:
        """Send the browser back to the client with an OAuth error."""
        return self.redirect(error=error, error_description=description)


def parse_authorize_request(params: Mapping[str, str]) -> AuthorizeRequest:
    """Validate the authorize parameters (from the query, or the consent form's hidden fields).

    Raises UntrustedRequestError for an unknown client_key or an unregistered redirect_uri, and
    RedirectableError for anything else that is wrong.
    """
    query = {name: params.get(name, "") for name in QUERY_PARAMETERS}
    _check_trust(query["client_key"], query["redirect_uri"])
    if refusal := _refusal(query):
        error, description = refusal
        refused = {"error": error, "error_description": description, "state": query["state"]}
        raise RedirectableError(redirect_with(query["redirect_uri"], refused))
    challenge = query["code_challenge"]
    return AuthorizeRequest(
        query=query,
        redirect_uri=query["redirect_uri"],
        state=query["state"],
        scopes=tuple(scopes.split_list(query["scope"])),
        code_challenge=challenge,
        code_challenge_method=query["code_challenge_method"] if challenge else "",
    )


def redirect_with(uri: str, params: Mapping[str, str]) -> HttpResponseRedirect:
    """Redirect to ``uri`` with ``params`` added to its query (blank values left out)."""
    parts = urlsplit(uri)
    added = urlencode({name: value for name, value in params.items() if value})
    query = f"{parts.query}&{added}" if parts.query else added
    return HttpResponseRedirect(urlunsplit(parts._replace(query=query)))


class ConsentForm(forms.Form):
    """The person's choices on the consent page: who they are, and which scopes they allow."""

    persona = forms.ChoiceField(
        choices=[(persona.open_id, persona.display_name) for persona in PERSONAS],
        error_messages={"required": gettext_lazy("Choose the account to continue as.")},
    )
    scopes = forms.MultipleChoiceField(required=False)

    def __init__(self, *args: object, optional_scopes: tuple[str, ...], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [(scope, scope) for scope in optional_scopes]

    def granted_scopes(self, requested: tuple[str, ...]) -> list[str]:
        """The scopes granted, in requested order: user.info.basic if asked, plus the ticked."""
        ticked = set(self.cleaned_data["scopes"])
        return [scope for scope in requested if scope == scopes.BASIC or scope in ticked]


def _check_trust(client_key: str, redirect_uri: str) -> None:
    # The problem is shown on the sandbox's error page, in the person's language; the errors
    # redirected to the client (``_refusal``) stay in English, as TikTok's API answers are.
    if not client_key:
        raise UntrustedRequestError(_("The client_key is missing."))
    if not registration.is_known_client_key(client_key):
        raise UntrustedRequestError(_("The client_key is not the client key of a registered app."))
    if not redirect_uri:
        raise UntrustedRequestError(_("The redirect_uri is missing."))
    if not registration.is_registered_redirect_uri(redirect_uri):
        raise UntrustedRequestError(
            _(
                "The redirect_uri “%(redirect_uri)s” is not registered for this app. It must "
                "equal a registered redirect URI exactly."
            )
            % {"redirect_uri": redirect_uri}
        )


def _refusal(query: dict[str, str]) -> tuple[str, str] | None:
    """The OAuth error and description to refuse a trusted request with, or None if it is fine."""
    requested = scopes.split_list(query["scope"])
    if query["response_type"] != "code":
        return "unsupported_response_type", "response_type must be code."
    if not query["state"]:
        # TikTok lists state as required: it is the client's CSRF protection.
        return "invalid_request", "state is missed in request."
    if not requested:
        return "invalid_scope", "scope is missed in request."
    if unknown := scopes.unknown(requested):
        return "invalid_scope", f"Unknown scope: {', '.join(unknown)}."
    if problem := _pkce_problem(query["code_challenge"], query["code_challenge_method"]):
        return "invalid_request", problem
    return None


def _pkce_problem(challenge: str, method: str) -> str:
    if not challenge:
        return ""
    if method != pkce.S256:
        return "code_challenge_method must be S256."
    if not pkce.is_well_formed(challenge):
        return "code_challenge must be 43-128 characters of [A-Za-z0-9-._~]."
    return ""
