from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import include, path, re_path

from exports.email_confirmation import confirm_email


def not_offered(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


urlpatterns = [
    path("", include("exports.urls")),
    # allauth pages for local passwords and for connecting more accounts: this site has neither
    # (sign-in is through TikTok only), so they do not exist here.
    re_path(r"^accounts/(signup|password|reauthenticate|login/code|3rdparty)/", not_offered),
    # allauth's confirmation page would sign a person out on opening a link (see the module).
    re_path(
        r"^accounts/confirm-email/(?P<key>[-:\w]+)/$", confirm_email, name="account_confirm_email"
    ),
    path("accounts/", include("allauth.urls")),
    # Django's set_language view: the language picker in the footer posts to it.
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

if settings.TIKTOK_SANDBOX:
    urlpatterns.append(path("tiktok-sandbox/", include("tiktok_sandbox.urls")))
