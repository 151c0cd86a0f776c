from __future__ import annotations

import functools
import uuid
from collections.abc import Callable

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.base import AuthProcess
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)
from django_htmx.http import HttpResponseClientRedirect

from exports import crypto, services
from exports.announcements import announce_started_exports
from exports.archive_store import archive_storage
from exports.forms import ApiTokenForm, ChooseDataForm, NewExportForm
from exports.models import ApiToken, ExportRequest, api_tokens_for, exports_for
from exports.ratelimit import REQUEST_EXPORT, RESEND_EMAIL, SIGN_IN, rate_limited
from exports.scopes import BASIC_SCOPE
from exports.services.api_tokens import TooManyTokensError
from exports.services.health import readiness
from exports.services.notifications import (
    EmailNotResendableError,
    ExportLinkExpiredError,
    ExportLinkInvalidError,
    NoVerifiedAddressError,
    verified_address,
)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return _home(request, ChooseDataForm(initial={"export_now": True}))


def _home(request: HttpRequest, form: ChooseDataForm, *, status: int = 200) -> HttpResponse:
    next_url = _safe_next(request)
    return render(
        request,
        "exports/home.html",
        {
            "form": form,
            "next": next_url,
            # Sent here from a link to an export (an email's, say): signing in leads back to it.
            "signing_in_for_export": next_url.startswith("/exports/"),
        },
        status=status,
    )


@require_POST
@rate_limited(SIGN_IN)
def start_tiktok_sign_in(request: HttpRequest) -> HttpResponse:
    """Validates the choice of data, then sends the browser to TikTok's consent page (with a
    fresh state and PKCE challenge, kept by allauth in the session). From the landing page the
    choice travels with the sign-in, and its exports start when TikTok sends the person back."""
    form = ChooseDataForm(request.POST)
    if not form.is_valid():
        if request.user.is_authenticated:
            return _dashboard(request, choose_form=form, status=400)
        return _home(request, form, status=400)
    kinds = form.cleaned_data["kinds"]
    scopes = services.scopes_to_request(request.user, kinds, form.cleaned_data["frequency"])
    return _redirect_to_tiktok(
        request, scopes, export_kinds=kinds if form.cleaned_data["export_now"] else []
    )


@require_POST
@rate_limited(SIGN_IN)
def sign_in_again(request: HttpRequest) -> HttpResponse:
    """Signing in without asking for more: what the person allowed before is kept."""
    return _redirect_to_tiktok(request, [BASIC_SCOPE])


def _redirect_to_tiktok(
    request: HttpRequest,
    scopes: list[str],
    *,
    export_kinds: list[str] | None = None,
    data_format: str = "",
) -> HttpResponse:
    provider = get_adapter(request).get_provider(request, "tiktok")
    return provider.redirect(
        request,
        AuthProcess.LOGIN,
        next_url=_safe_next(request) or reverse("dashboard"),
        # Kept by allauth with the sign-in's state; read back by exports.receivers.
        data={
            "requested_scopes": scopes,
            "export_kinds": export_kinds or [],
            "data_format": data_format,
        },
        scope=scopes,
    )


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    listed = _export_list(request)  # before the check: see dashboard_exports
    if _not_eligible(request):
        return redirect("not_eligible")
    return _dashboard(request, listed=listed)


@login_required
@require_GET
def not_eligible(request: HttpRequest) -> HttpResponse:
    """For a person TikTok refused because they are outside the EEA and the UK: what that
    means and what they can do instead. Offers no export: TikTok would refuse it again."""
    if not _not_eligible(request):
        return redirect("dashboard")
    return render(
        request,
        "exports/not_eligible.html",
        {**services.dashboard_for(request.user), **_export_list(request)},
    )


@login_required
@require_GET
def new_export(request: HttpRequest) -> HttpResponse:
    """The form to ask for an export (sent to request_export)."""
    if _not_eligible(request):
        return redirect("not_eligible")
    form = NewExportForm(allowed=services.requestable_kinds(request.user))
    return render(request, "exports/new_export.html", {"export_form": form})


@login_required
@require_POST
@rate_limited(REQUEST_EXPORT)
def request_export(request: HttpRequest) -> HttpResponse:
    """Asking for an export. Kinds already allowed start at once, several together when they
    need separate TikTok permissions; kinds not allowed yet send the person to TikTok to allow
    them, and everything chosen starts when TikTok sends them back."""
    if _not_eligible(request):
        return redirect("not_eligible")
    form = NewExportForm(request.POST, allowed=services.requestable_kinds(request.user))
    if not form.is_valid():
        return render(request, "exports/new_export.html", {"export_form": form}, status=400)
    kinds, data_format = form.cleaned_data["kinds"], form.cleaned_data["data_format"]
    if needing_consent := services.kinds_needing_consent(request.user, kinds):
        scopes = services.scopes_to_request(
            request.user, needing_consent, form.cleaned_data["frequency"]
        )
        return _redirect_to_tiktok(request, scopes, export_kinds=kinds, data_format=data_format)
    outcome = services.start_exports(request.user, kinds, data_format)
    announce_started_exports(request, outcome)
    if len(outcome.started) == 1 and not outcome.already_active:
        return redirect("export_detail", export_id=outcome.started[0].pk)
    if not outcome.started and len(outcome.already_active) == 1:
        return redirect("export_detail", export_id=outcome.already_active[0].pk)
    return redirect("dashboard")


@login_required
@require_GET
def export_detail(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    export = _export_or_404(request, export_id)
    return render(request, "exports/export_detail.html", _export_context(request, export))


def _export_context(request: HttpRequest, export: ExportRequest) -> dict[str, object]:
    reading = services.reading_of(export)
    return {
        "export": export,
        "events": export.events.all(),
        "email_address": verified_address(request.user),
        "reading": reading,
        "read_datasets": services.read_dataset_rows(reading),
        # The page follows the export while it is under way, and its reading after.
        "keep_polling": export.is_active or bool(reading and reading.is_under_way),
    }


def signed_in_fragment(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """login_required for the fragments pages poll: a signed-out poll (the session ended in
    another tab) sends the whole page to sign in, instead of the sign-in page being swapped
    into the fragment."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.htmx:
            return HttpResponseClientRedirect(
                redirect_to_login(request.htmx.current_url_abs_path or "/").url
            )
        return redirect_to_login(request.get_full_path())

    return guarded


@never_cache
@signed_in_fragment
@require_GET
def export_status(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    """The export page's status and history alone: polled by the page (htmx) while the export
    is under way, so progress shows without reloading."""
    export = _export_or_404(request, export_id)
    return render(request, "exports/_export_status.html", _export_context(request, export))


@never_cache
@signed_in_fragment
@require_GET
def dashboard_exports(request: HttpRequest) -> HttpResponse:
    """The dashboard's list of exports alone, polled while one is under way. When TikTok has
    just refused the person for where they live, the whole page moves to the explanation."""
    listed = _export_list(request)
    # Read after the list: the refusal and the failed export commit together, so a list that
    # shows the export failed is never answered without the move to the explanation.
    if _not_eligible(request) and request.htmx:
        return HttpResponseClientRedirect(reverse("not_eligible"))
    return render(request, "exports/_export_list.html", listed)


@login_required
@require_http_methods(["GET", "POST"])
def cancel_export(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    """Cancels an export under way, after the person confirms (the GET asks)."""
    export = _export_or_404(request, export_id)
    if request.method == "GET":
        if not export.can_be_cancelled:
            return redirect("export_detail", export_id=export_id)
        return render(request, "exports/confirm_cancel.html", {"export": export})
    try:
        services.cancel_export(request.user, export_id)
    except ExportRequest.DoesNotExist:
        raise Http404 from None
    except services.ExportNotCancellableError:
        messages.info(request, _("This export has already finished, so it cannot be cancelled."))
    else:
        messages.success(request, _("The export was cancelled."))
    return redirect("export_detail", export_id=export_id)


@login_required
@require_http_methods(["GET", "POST"])
def delete_export(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    """Deletes a stored archive, after the person confirms (the GET asks)."""
    export = _export_or_404(request, export_id)
    if request.method == "GET":
        if not export.can_be_deleted:
            return redirect("export_detail", export_id=export_id)
        return render(request, "exports/confirm_delete.html", {"export": export})
    try:
        services.delete_export_archive(request.user, export_id)
    except ExportRequest.DoesNotExist:
        raise Http404 from None
    except services.ArchiveNotDeletableError:
        messages.info(request, _("There is no stored archive to delete."))
    else:
        messages.success(request, _("The archive was deleted."))
    return redirect("export_detail", export_id=export_id)


@login_required
@require_POST
@rate_limited(RESEND_EMAIL)
def resend_export_email(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    try:
        sending = services.resend_export_email(request.user, export_id)
    except ExportRequest.DoesNotExist:
        raise Http404 from None
    except EmailNotResendableError:
        messages.info(request, _("We email you when this export ends; it has not ended yet."))
    except NoVerifiedAddressError:
        messages.info(request, _("Add and verify an email address first, then ask again."))
    else:
        if sending:
            messages.success(request, _("We are sending the email again. It can take a minute."))
        else:
            messages.info(request, _("The email is on its way already."))
    return redirect("export_detail", export_id=export_id)


@login_required
@require_http_methods(["GET", "POST"])
def disconnect_tiktok(request: HttpRequest) -> HttpResponse:
    """Stops the site's access to the person's TikTok data, after they confirm."""
    if request.method == "POST":
        cancelled = services.disconnect_tiktok(request.user)
        messages.success(
            request,
            _("TikTok is disconnected. Your exports in progress were cancelled.")
            if cancelled
            else _("TikTok is disconnected."),
        )
        return redirect("dashboard")
    return render(request, "exports/disconnect_tiktok.html", _account_facts(request))


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    """Deletes the person's account and everything the site holds of them, after they confirm."""
    if request.method == "POST":
        services.delete_account(request.user)
        logout(request)
        messages.success(request, _("Your account and everything we held of yours are deleted."))
        return redirect("home")
    return render(request, "exports/delete_account.html", _account_facts(request))


# A token just made waits in the session, encrypted, only until the page shows it once: the
# page that shows it is a GET after a redirect, so reloading it cannot make a second token.
NEW_TOKEN_SESSION_KEY = "exports.new_api_token"  # noqa: S105 - a session key name


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The person's API tokens for the task API: listed, made (shown once), revoked here."""
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            row, token = services.create_api_token(
                request.user, form.cleaned_data["name"], form.validity()
            )
        except TooManyTokensError:
            form.add_error(None, _("You have as many tokens as you may. Revoke one first."))
        else:
            request.session[NEW_TOKEN_SESSION_KEY] = crypto.encrypt(token)
            messages.success(request, _("Token “%(name)s” made.") % {"name": row.name})
            return redirect("api_tokens")
    sealed = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    response = render(
        request,
        "exports/api_tokens.html",
        {
            "form": form,
            "created": crypto.decrypt(sealed) if sealed else None,
            "tokens": api_tokens_for(request.user),
        },
        status=400 if form.errors else 200,
    )
    if sealed:
        response["Cache-Control"] = "no-store"  # the token must not linger in a cache
    return response


@login_required
@require_POST
def revoke_api_token(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        services.revoke_api_token(request.user, token_id)
    except ApiToken.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The token is revoked: it no longer works."))
    return redirect("api_tokens")


@login_required
@require_safe
def download_export(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    export = _export_or_404(request, export_id)
    if not export.can_be_downloaded:
        raise Http404
    return archive_storage().download_response(request, export)


@require_GET
def open_emailed_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an export email: genuine, unexpired, and the signed-in owner's, or a page
    that says which of those it is not."""
    try:
        export_id, user_id = services.resolve_export_link(token)
    except ExportLinkExpiredError as expired:
        owned = exports_for(request.user).filter(pk=expired.export_id).first()
        return _link_problem(request, "expired", status=410, export=owned)
    except ExportLinkInvalidError:
        return _link_problem(request, "invalid", status=400)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.user.pk != user_id or not exports_for(request.user).filter(pk=export_id).exists():
        raise Http404
    return redirect("export_detail", export_id=export_id)


@csrf_exempt
@require_POST
def tiktok_webhook(request: HttpRequest) -> HttpResponse:
    """TikTok's webhooks. Answers at once (TikTok retries anything but a 200); the work they
    trigger goes to the worker."""
    try:
        services.handle_tiktok_webhook(request.body, request.headers.get("TikTok-Signature"))
    except services.UnreadableWebhookError:
        return HttpResponse(status=400)
    except services.InvalidWebhookError:
        return HttpResponse(status=401)
    except services.RemovalUndecidedError:
        # TikTok redelivers with backoff for up to 72 h: it will ask again.
        return HttpResponse(status=503, headers={"Retry-After": "60"})
    return HttpResponse(status=200)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Alive: the process answers. Touches nothing else, so a database outage does not get
    healthy web processes restarted."""
    return HttpResponse("ok\n", content_type="text/plain")


@never_cache
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """Ready: the database, the broker and the storage answer. 503 names the ones that do not."""
    checks = readiness()
    ready = all(outcome == "ok" for outcome in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )


def _dashboard(
    request: HttpRequest,
    *,
    choose_form: ChooseDataForm | None = None,
    listed: dict[str, object] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        **services.dashboard_for(request.user),
        "form": choose_form or ChooseDataForm(),
        # A form sent back with errors is the one the person was filling in: open it.
        "allow_more_open": choose_form is not None,
        "permissions": services.permissions_of(request.user),
        **(listed or _export_list(request)),
    }
    return render(request, "exports/dashboard.html", context, status=status)


def _export_list(request: HttpRequest) -> dict[str, object]:
    """The person's exports, and whether the list should keep refreshing itself (while one is
    under way), decided once, before the rest of the page is read."""
    exports = exports_for(request.user)
    return {
        # The reading in the same query: each row says whether its data can be explored.
        "exports": exports.select_related("reading"),
        "keep_polling": exports.active().exists(),
    }


def _not_eligible(request: HttpRequest) -> bool:
    return services.is_not_eligible(request.user)


def _export_or_404(request: HttpRequest, export_id: uuid.UUID) -> ExportRequest:
    try:
        return exports_for(request.user).get(pk=export_id)
    except ExportRequest.DoesNotExist:
        raise Http404 from None


def _link_problem(
    request: HttpRequest, problem: str, *, status: int, export: ExportRequest | None = None
) -> HttpResponse:
    return render(
        request,
        "exports/link_problem.html",
        {"problem": problem, "export": export},
        status=status,
    )


def _account_facts(request: HttpRequest) -> dict[str, object]:
    """What a person should know before disconnecting TikTok or deleting their account."""
    exports = exports_for(request.user)
    return {
        "active_exports": exports.active().count(),
        "stored_archives": sum(1 for export in exports if export.can_be_downloaded),
    }


def _safe_next(request: HttpRequest) -> str:
    """Where to go after signing in, if it is a path on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed and target.startswith("/") else ""
