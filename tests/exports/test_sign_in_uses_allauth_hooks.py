"""The TikTok sign-in runs on allauth's own callback view through its documented adapter hooks
(exports/tiktok_login/views.py): what those hooks are handed and hand back, the one thing kept
outside them (the transaction around the view), and what allauth must keep doing for that to
hold. The sign-in flow itself is tests/exports/test_sign_in.py."""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
from typing import Any

import pytest
from allauth.socialaccount.models import SocialAccount, SocialLogin
from allauth.socialaccount.providers.oauth2.views import OAuth2Adapter, OAuth2CallbackView
from allauth.socialaccount.signals import pre_social_login
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models.signals import post_save

from exports import services, tiktok
from exports.models import TikTokAuthorization
from exports.tiktok_login import views
from tests.exports.conftest import sign_in

# The exceptions allauth's callback turns into render_authentication_error, which
# exports.adapters.classify_sign_in_problem turns into the sign-in problem page.
CAUGHT = {"PermissionDenied", "OAuth2Error", "RequestException", "ProviderException"}


def _source_tree(function: Any) -> ast.AST:
    return ast.parse(textwrap.dedent(inspect.getsource(function)))


def _calls_in(tree: ast.AST) -> dict[str, ast.Call]:
    return {
        node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id: node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name)
    }


def test_allauths_callback_still_calls_the_hooks_the_sign_in_overrides_inside_its_error_handling():
    """Fails when an allauth upgrade changes what exports/tiktok_login/views.py relies on."""
    tree = _source_tree(OAuth2CallbackView.dispatch)
    (handled,) = [node for node in ast.walk(tree) if isinstance(node, ast.Try)]
    caught = {
        ast.unparse(name).rsplit(".", 1)[-1]
        for handler in handled.handlers
        for name in (handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type])
    }
    inside = _calls_in(ast.Module(body=handled.body, type_ignores=[]))
    errors = _calls_in(ast.Module(body=handled.handlers[0].body, type_ignores=[]))

    assert caught >= CAUGHT
    hooks = {"get_access_token_data", "parse_token", "complete_login", "complete_social_login"}
    assert inside.keys() >= hooks
    exchange = inside["get_access_token_data"]
    assert [k.arg for k in exchange.keywords] == ["pkce_code_verifier"]
    assert "response" in [k.arg for k in inside["complete_login"].keywords]
    shown = errors["render_authentication_error"]
    assert {k.arg: ast.unparse(k.value) for k in shown.keywords}["extra_context"] == (
        "{'state': state}"
    )
    assert list(inspect.signature(OAuth2Adapter.get_access_token_data).parameters) == [
        "self", "request", "app", "client", "pkce_code_verifier",
    ]  # fmt: skip
    assert list(inspect.signature(OAuth2Adapter.complete_login).parameters) == [
        "self", "request", "app", "token", "kwargs",
    ]  # fmt: skip


def test_the_callback_view_only_wraps_allauths_dispatch_and_calls_no_private_helper():
    own = {name for name in vars(views.TikTokCallbackView) if not name.startswith("__")}
    calls = _calls_in(_source_tree(views.TikTokCallbackView.dispatch))
    module = ast.parse(inspect.getsource(views))
    imported = {
        alias.name for node in ast.walk(module) if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }  # fmt: skip
    attributes = {node.attr for node in ast.walk(module) if isinstance(node, ast.Attribute)}

    assert own == {"dispatch"}
    assert "dispatch" in calls
    assert "atomic" in _calls_in(_source_tree(views.TikTokOAuth2Adapter.complete_login))
    # What allauth's dispatch does itself: the state, the error pages, completing the login.
    assert not {"complete_social_login", "render_authentication_error", "statekit"} & imported
    assert not {name for name in attributes if name.startswith("_")}
    for hook in ("get_access_token_data", "parse_token", "complete_login"):
        assert hook in vars(views.TikTokOAuth2Adapter)


@pytest.mark.django_db(transaction=True)
def test_the_login_allauth_completes_carries_the_grant_and_no_token_string(browser, site):
    seen: list[SocialLogin] = []

    def keep(sender: Any, request: Any, sociallogin: SocialLogin, **kwargs: Any) -> None:
        seen.append(sociallogin)

    pre_social_login.connect(keep, dispatch_uid="test.keep_sociallogin")
    try:
        result = sign_in(browser, site, kinds=["all"], frequency="ongoing")
    finally:
        pre_social_login.disconnect(dispatch_uid="test.keep_sociallogin")

    assert result.final.url == site + "/dashboard/"
    (login,) = seen
    authorization = TikTokAuthorization.objects.get()
    assert login.tiktok_grant.access_token == authorization.access_token
    assert login.tiktok_grant.refresh_token == authorization.refresh_token
    assert login.token is not None
    assert (login.token.token, login.token.token_secret) == ("", "")
    # What allauth would put in the session, were the sign-in ever paused.
    parked = json.dumps(login.serialize(), default=str)
    assert authorization.access_token not in parked
    assert authorization.refresh_token not in parked
    assert login.state["pkce_code_verifier"]


def _transaction_now() -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id_if_assigned()")
        (xid,) = cursor.fetchone()
    return {"in_transaction": connection.in_atomic_block, "xid": xid}


@pytest.mark.django_db(transaction=True)
def test_tiktok_is_called_outside_any_transaction_and_the_writes_after_it_are_one(
    browser, site, monkeypatch
):
    during: dict[str, dict[str, object]] = {}
    exchange_code, fetch_user_info = tiktok.exchange_code, tiktok.fetch_user_info

    def watched_exchange(*args: Any, **kwargs: Any) -> tiktok.TokenGrant:
        during["exchange"] = _transaction_now()
        return exchange_code(*args, **kwargs)

    def watched_user_info(*args: Any, **kwargs: Any) -> tiktok.TikTokProfile:
        during["user_info"] = _transaction_now()
        return fetch_user_info(*args, **kwargs)

    writes: list[tuple[str, object]] = []

    def watch_write(sender: type, **kwargs: Any) -> None:
        if sender in {get_user_model(), SocialAccount, TikTokAuthorization}:
            # The top-level transaction's id, in a savepoint too.
            writes.append((sender.__name__, _transaction_now()["xid"]))

    monkeypatch.setattr(tiktok, "exchange_code", watched_exchange)
    monkeypatch.setattr(tiktok, "fetch_user_info", watched_user_info)
    post_save.connect(watch_write, dispatch_uid="test.watch_write")
    try:
        result = sign_in(browser, site)
    finally:
        post_save.disconnect(dispatch_uid="test.watch_write")

    assert result.final.url == site + "/dashboard/"
    # No transaction open while TikTok is waited for: no lock held, the state allauth consumed
    # (its session write) already committed.
    assert during == {
        "exchange": {"in_transaction": False, "xid": None},
        "user_info": {"in_transaction": False, "xid": None},
    }
    assert {name for name, _xid in writes} == {"User", "SocialAccount", "TikTokAuthorization"}
    (xid,) = {xid for _name, xid in writes}
    assert xid is not None


@pytest.mark.django_db(transaction=True)
def test_a_failure_while_storing_the_tokens_leaves_no_person_and_no_account(
    browser, site, monkeypatch
):
    written_by_then: list[bool] = []

    def broken(user: Any, sociallogin: SocialLogin) -> None:
        written_by_then.append(get_user_model().objects.filter(pk=user.pk).exists())
        raise RuntimeError("the token store broke")

    monkeypatch.setattr(services, "record_tiktok_sign_in", broken)

    result = sign_in(browser, site)

    assert result.final.status_code == 500
    assert written_by_then == [True]
    assert get_user_model().objects.count() == 0
    assert SocialAccount.objects.count() == 0
    assert TikTokAuthorization.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_sign_in_refused_after_its_first_writes_ends_on_a_problem_page_and_stores_nothing(
    browser, site, monkeypatch
):
    """allauth's dispatch turns PermissionDenied (and the like) raised while completing the
    login into an error page rather than an error: what was written by then is rolled back."""
    written_by_then: list[bool] = []

    def refusing(user: Any, sociallogin: SocialLogin) -> None:
        written_by_then.append(get_user_model().objects.filter(pk=user.pk).exists())
        raise PermissionDenied

    monkeypatch.setattr(services, "record_tiktok_sign_in", refusing)

    result = sign_in(browser, site)

    assert result.final.status_code == 400
    assert "Nothing was stored" in result.final.text
    assert written_by_then == [True]
    assert get_user_model().objects.count() == 0
    assert SocialAccount.objects.count() == 0
    assert browser.session.get(site + "/dashboard/", allow_redirects=False).status_code == 302
