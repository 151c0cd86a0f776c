"""allauth adapters: sign-in happens only through TikTok, and every failed sign-in gets a page
that says in plain words what happened and what to do."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.base import AuthProcess, ProviderException
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from exports import tiktok
from exports.tiktok_login.views import CODE_EXCHANGE

logger = logging.getLogger(__name__)

SIGN_IN_PROBLEMS = {
    "cancelled": (
        _("You cancelled the sign-in"),
        _("Nothing was stored. You can start again whenever you like."),
        400,
    ),
    "denied": (
        _("TikTok did not sign you in"),
        _("TikTok refused the sign-in. Nothing was stored. Please start again from this site."),
        400,
    ),
    "stale": (
        _("This sign-in link is no longer valid"),
        _(
            "It was already used, it expired, or it was opened in another browser. "
            "Nothing was stored. Please start again from this site."
        ),
        400,
    ),
    "code_refused": (
        _("TikTok did not accept this sign-in"),
        _(
            "The sign-in code from TikTok was refused (it may have been used already or have "
            "expired). Nothing was stored. Please start again."
        ),
        400,
    ),
    "profile_failed": (
        _("We could not read your TikTok profile"),
        _(
            "TikTok let you in but did not give us your profile, so nothing was stored. "
            "This is usually temporary: please try again in a minute."
        ),
        502,
    ),
    "tiktok_failed": (
        _("TikTok had a problem"),
        _("TikTok could not complete the sign-in. Nothing was stored. Please try again soon."),
        502,
    ),
    "incomplete": (
        _("TikTok's answer was incomplete"),
        _("TikTok sent you back without a sign-in code. Nothing was stored. Please start again."),
        400,
    ),
    "unreachable": (
        _("TikTok could not be reached"),
        _("Nothing was stored. Please try again in a minute."),
        502,
    ),
}


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # No local passwords: accounts are created by signing in with TikTok.
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Without the sites framework allauth's current_site is the request's host
        # (127.0.0.1:8300): the templates under templates/account/email/ name the site by
        # SITE_NAME instead. The subject is rendered without the request, so without the
        # context processor that gives pages site_name.
        super().send_mail(
            template_prefix,
            email,
            {
                "site_name": settings.SITE_NAME,
                "confirmation_days": account_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS,
                **context,
            },
        )

    def format_email_subject(self, subject: str) -> str:
        # Always the site's name: allauth's default prefix is the request's host.
        return f"[{settings.SITE_NAME}] {subject}"

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: Any) -> str:
        # Built from SITE_URL, as every link in the site's emails is: never from the Host
        # header a request happened to come in with.
        return settings.SITE_URL + reverse("account_confirm_email", args=[emailconfirmation.key])


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # Never fall back to allauth's signup form: it would park the login, tokens included,
        # in the session.
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        # Sign-ins start only from the site's own form, as logins. Connecting a second TikTok
        # account to a user would split their tokens from their profile.
        if sociallogin.state.get("process", AuthProcess.LOGIN) != AuthProcess.LOGIN:
            raise ImmediateHttpResponse(_problem_page(request, "stale"))

    def generate_state_param(self, state: dict) -> str:
        # 256 bits rather than allauth's 16 characters: the state is the CSRF defence of the
        # callback (RFC 9700 asks for at least 128 bits).
        return secrets.token_urlsafe(32)

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: BaseException | None = None,
        extra_context: dict | None = None,
    ) -> None:
        problem = classify_sign_in_problem(request, exception, extra_context or {})
        logger.warning(
            "TikTok sign-in failed: %s (%s)",
            problem,
            type(exception).__name__ if exception else "-",
        )
        raise ImmediateHttpResponse(_problem_page(request, problem))


# What each OAuth error TikTok can send back (tiktok-api.md §1.7) means for the person, in
# their language: TikTok's own error_description is English, and never shown.
TIKTOK_REFUSALS = {
    "invalid_scope": _(
        "TikTok did not accept the permissions this site asked for. Nothing was stored. "
        "Please start again; if it happens again, the site's operator must fix its TikTok app."
    ),
    "invalid_client": _(
        "TikTok does not recognise this site's app. Nothing was stored. The site's operator "
        "must fix its TikTok app settings."
    ),
    "unauthorized_client": _(
        "TikTok does not allow this site's app to sign people in yet. Nothing was stored. "
        "The site's operator must fix its TikTok app settings."
    ),
    "unsupported_response_type": _(
        "TikTok did not accept how this site asked you to sign in. Nothing was stored. "
        "The site's operator must fix it."
    ),
    "invalid_request": _(
        "TikTok did not accept how this site asked you to sign in. Nothing was stored. "
        "Please start again from this site."
    ),
    "server_error": _(
        "TikTok had a problem and could not sign you in. Nothing was stored. Please try again "
        "in a few minutes."
    ),
    "temporarily_unavailable": _(
        "TikTok is busy and could not sign you in. Nothing was stored. Please try again in a "
        "few minutes."
    ),
}


def _problem_page(request: HttpRequest, problem: str) -> HttpResponse:
    title, explanation, status = SIGN_IN_PROBLEMS[problem]
    if problem == "denied":
        explanation = TIKTOK_REFUSALS.get(request.GET.get("error", ""), explanation)
    return render(
        request,
        "exports/sign_in_problem.html",
        {"title": title, "explanation": explanation},
        status=status,
    )


def classify_sign_in_problem(
    request: HttpRequest, exception: BaseException | None, extra_context: dict
) -> str:
    """Which of SIGN_IN_PROBLEMS a failed TikTok callback is."""
    if extra_context.get("state") is None:
        return "stale"
    if "error" in request.GET:
        description = request.GET.get("error_description", "").lower()
        if request.GET["error"] == "access_denied" or "cancel" in description:
            return "cancelled"
        return "denied"
    if isinstance(exception, ProviderException):
        cause = exception.__cause__
        if isinstance(cause, tiktok.TransientTikTokError):
            return "unreachable" if cause.code == "network_error" else "tiktok_failed"
        if exception.args and exception.args[0] == CODE_EXCHANGE:
            return "code_refused"
        return "profile_failed"
    return "incomplete"
