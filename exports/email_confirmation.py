"""The page an email confirmation link opens (accounts/confirm-email/<key>/), routed here ahead
of allauth's own in portability_site/urls.py.

allauth's ConfirmEmailView signs out whoever is signed in when the key belongs to another
account, on the GET of the link already: anyone could sign a person out by sending them a link
with a valid key of their own. Here opening the link changes nothing: a GET only shows the page
with its Confirm button (never confirming, whatever ACCOUNT_CONFIRM_EMAIL_ON_GET says), and
nobody is ever signed out by it. A signed-in person whose link belongs to another account is
told so, on the GET and on the POST, and nothing is confirmed.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from allauth.account.views import ConfirmEmailView as AllauthConfirmEmailView
from django.http import Http404, HttpResponse

OTHER_ACCOUNT_TEMPLATE = "account/email_confirm_other_account.html"


class ConfirmEmailView(AllauthConfirmEmailView):
    def get(self, *args: Any, **kwargs: Any) -> HttpResponse:
        """allauth's page with its Confirm button (or its "expired or invalid" text)."""
        try:
            self.object = self.get_object()
        except Http404:
            self.object = None
        if self._belongs_to_another_account():
            return self._other_account_page(HTTPStatus.OK)
        return self.render_to_response(self.get_context_data())

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        """Confirms the address, unless a person signed in to another account sent it."""
        self.object = self.get_object()
        if self._belongs_to_another_account():
            return self._other_account_page(HTTPStatus.FORBIDDEN)
        return super().post(*args, **kwargs)

    def logout_other_user(self, confirmation: Any) -> None:
        """Never: a link must not sign anybody out (allauth calls this from get and post)."""

    def _belongs_to_another_account(self) -> bool:
        user = self.request.user
        return (
            self.object is not None
            and user.is_authenticated
            and user.pk != self.object.email_address.user_id
        )

    def _other_account_page(self, status: HTTPStatus) -> HttpResponse:
        return self.response_class(
            request=self.request,
            template=[OTHER_ACCOUNT_TEMPLATE],
            context=self.get_context_data(),
            status=status,
        )


confirm_email = ConfirmEmailView.as_view()
