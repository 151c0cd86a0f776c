"""allauth's TikTok sign-in, pointed at the configured TikTok (or sandbox, or emulator).

allauth keeps doing what it is good at: the state, the PKCE verifier, finding or creating the
user and signing them in. The two calls to TikTok (the code exchange and the user info) go
through exports.tiktok, with its timeouts and typed errors, before any database write; the
writes that follow happen in one transaction, so a person, their account and their tokens
appear together or not at all.
"""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.helpers import complete_social_login, render_authentication_error
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.base import ProviderException
from allauth.socialaccount.providers.base.constants import AuthError
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.tiktok.views import (
    TikTokOAuth2Adapter as AllauthTikTokOAuth2Adapter,
)
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.debug import sensitive_variables

from exports import tiktok

# Which call to TikTok failed, for the page that explains it (exports.adapters).
CODE_EXCHANGE = "code_exchange"
USER_INFO = "user_info"


class TikTokOAuth2Adapter(AllauthTikTokOAuth2Adapter):
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
    def sign_in(self, request: HttpRequest, state: dict[str, Any]) -> SocialLogin:
        """Exchanges the callback's code and reads the profile: the login to complete, carrying
        the whole token grant for exports.services.record_tiktok_sign_in. Writes nothing.
        Raises ProviderException naming the failed call, with the TikTokError as its cause."""
        try:
            grant = tiktok.exchange_code(
                request.GET["code"], code_verifier=state.get("pkce_code_verifier")
            )
        except tiktok.TikTokError as error:
            raise ProviderException(CODE_EXCHANGE) from error
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
        # No SocialToken: it would carry the tokens in plaintext wherever allauth keeps the
        # login (the session, if a sign-in were ever paused).
        login.token = None
        login.state = state
        login.tiktok_grant = grant  # type: ignore[attr-defined]
        return login


class TikTokCallbackView(OAuth2CallbackView):
    adapter: TikTokOAuth2Adapter

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        provider = self.adapter.get_provider()
        state, problem = self._get_state(request, provider)
        if problem:
            return problem
        if "error" in request.GET or "code" not in request.GET:
            cancelled = request.GET.get("error") == self.adapter.login_cancelled_error
            return render_authentication_error(
                request,
                provider,
                error=AuthError.CANCELLED if cancelled else AuthError.UNKNOWN,
                extra_context={"state": state, "callback_view": self},
            )
        try:
            login = self.adapter.sign_in(request, state)
        except ProviderException as error:
            return render_authentication_error(
                request, provider, exception=error, extra_context={"state": state}
            )
        with transaction.atomic():
            return complete_social_login(request, login)


def oauth2_login(request: HttpRequest) -> HttpResponse:
    """allauth's own entry point would start a sign-in without the choice of data (and accept
    any scope in its query): sign-ins start from the site's form instead."""
    return redirect("home")


oauth2_callback = TikTokCallbackView.adapter_view(TikTokOAuth2Adapter)
