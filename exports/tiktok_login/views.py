"""allauth's TikTok sign-in, pointed at the configured TikTok (or sandbox, or emulator).

allauth keeps doing what it is good at: its callback view checks the state (and consumes it at
once), hands over the PKCE verifier, turns every failure into render_authentication_error
(exports.adapters classifies it), finds or creates the user and signs them in. This module
overrides the adapter hooks that view calls, so that the two calls to TikTok (the code exchange
and the user info) go through exports.tiktok, with its timeouts and typed errors, before any
database write; the writes that follow happen in one transaction, so a person, their account
and their tokens appear together or not at all.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from allauth.socialaccount.models import SocialLogin, SocialToken
from allauth.socialaccount.providers.base import ProviderException
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.tiktok.views import (
    TikTokOAuth2Adapter as AllauthTikTokOAuth2Adapter,
)
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.debug import sensitive_variables

from exports import tiktok

# Which call to TikTok failed, for the page that explains it (exports.adapters).
CODE_EXCHANGE = "code_exchange"
USER_INFO = "user_info"
# The key of the token grant in what get_access_token_data returns to allauth.
GRANT = "tiktok_grant"


class TikTokOAuth2Adapter(AllauthTikTokOAuth2Adapter):
    """The hooks allauth's OAuth2CallbackView.dispatch calls, in its order:
    get_access_token_data (the code exchange), parse_token, complete_login (the user info).
    Each raises ProviderException naming the failed call, with the TikTokError as its cause.
    None of them writes to the database; complete_login, once TikTok has answered, opens the
    transaction of the writes that follow (see TikTokCallbackView)."""

    # Set by TikTokCallbackView, which closes it when allauth's dispatch returns.
    sign_in_writes: ExitStack | None = None
    writing = False

    @property
    def authorize_url(self) -> str:  # type: ignore[override]
        return tiktok.authorize_url()

    @property
    def access_token_url(self) -> str:  # type: ignore[override]
        return tiktok.token_url()

    @property
    def profile_url(self) -> str:  # type: ignore[override]
        return tiktok.user_info_url()

    def get_callback_url(self, request: HttpRequest, app: Any) -> str:
        return tiktok.redirect_uri()

    @sensitive_variables("grant")
    def get_access_token_data(
        self, request: HttpRequest, app: Any, client: Any, pkce_code_verifier: str | None = None
    ) -> dict[str, tiktok.TokenGrant]:
        """Exchanges the callback's code (allauth's own client is not used): {GRANT: grant}."""
        try:
            grant = tiktok.exchange_code(request.GET["code"], code_verifier=pkce_code_verifier)
        except tiktok.TikTokError as error:
            raise ProviderException(CODE_EXCHANGE) from error
        self.did_fetch_access_token = True
        return {GRANT: grant}

    def parse_token(self, data: dict[str, Any]) -> SocialToken:
        """A SocialToken with no token string in it: allauth keeps it on the login, and would
        put it in the session if a sign-in were ever paused. The tokens travel on the login as
        `tiktok_grant` to exports.services.record_tiktok_sign_in, which stores them encrypted
        (SOCIALACCOUNT_STORE_TOKENS is False, so allauth stores no SocialToken either)."""
        return SocialToken(
            token="", token_secret="", expires_at=data[GRANT].access_token_expires_at
        )

    @sensitive_variables("grant")
    def complete_login(
        self, request: HttpRequest, app: Any, token: SocialToken, **kwargs: Any
    ) -> SocialLogin:
        """Reads the profile with the access token of the exchange (kwargs["response"]): the
        login to complete, carrying the whole token grant."""
        grant: tiktok.TokenGrant = kwargs["response"][GRANT]
        try:
            profile = tiktok.fetch_user_info(grant.access_token)
        except tiktok.TikTokError as error:
            raise ProviderException(USER_INFO) from error
        if profile.open_id != grant.open_id:
            raise ProviderException("open_id_mismatch")
        login = self.get_provider().sociallogin_from_response(
            request,
            {
                "open_id": profile.open_id,
                "union_id": profile.union_id,
                "display_name": profile.display_name,
                "avatar_url": profile.avatar_url,
            },
        )
        login.tiktok_grant = grant  # type: ignore[attr-defined]
        # The last hook before allauth's complete_social_login, which creates the user and the
        # social account and, through user_logged_in, records the tokens: they are written in
        # this transaction. Opened only now, after both calls to TikTok: no lock is held while
        # they wait, and the state allauth consumed is already committed.
        if self.sign_in_writes is None:
            raise RuntimeError("TikTok sign-ins complete only in TikTokCallbackView")
        self.sign_in_writes.enter_context(transaction.atomic())
        self.writing = True
        return login


class TikTokCallbackView(OAuth2CallbackView):
    """allauth's callback view, closing the transaction its adapter's complete_login opened.

    allauth calls complete_social_login inside its dispatch with no hook around it, so the end
    of the transaction can only be here: the smallest override, a wrapper around allauth's
    dispatch (tests/exports/test_sign_in_uses_allauth_hooks.py pins what it relies on). An
    error rolls the writes back, and so does a sign-in that ends on a problem page: allauth
    catches ProviderException, PermissionDenied and the like raised while completing the login
    too, and such a sign-in must store nothing (its pages say so).
    """

    adapter: TikTokOAuth2Adapter

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with ExitStack() as writes:
            self.adapter.sign_in_writes = writes
            response = super().dispatch(request, *args, **kwargs)
            refused = self.adapter.writing and response.status_code >= 400
            if refused:
                transaction.set_rollback(True)
        if refused:
            # allauth may have signed the person in by then, into a session row rolled back with
            # the rest: they leave signed out, with an empty session instead of a dangling one.
            request.session.flush()
            request.user = AnonymousUser()
        return response


def oauth2_login(request: HttpRequest) -> HttpResponse:
    """allauth's own entry point would start a sign-in without the choice of data (and accept
    any scope in its query): sign-ins start from the site's form instead."""
    return redirect("home")


oauth2_callback = TikTokCallbackView.adapter_view(TikTokOAuth2Adapter)
