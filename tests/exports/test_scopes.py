from __future__ import annotations

from exports.scopes import (
    categories_allowed,
    describe_scope,
    normalise_categories,
    portability_scopes,
    scope_for_request,
    scopes_for,
)


def test_each_kind_and_frequency_maps_to_its_portability_scope():
    assert scopes_for(["activity", "directmessages"], "ongoing") == [
        "user.info.basic",
        "portability.activity.ongoing",
        "portability.directmessages.ongoing",
    ]


def test_everything_stands_alone_because_it_covers_the_rest():
    assert scopes_for(["postsandprofile", "all"], "single") == [
        "user.info.basic",
        "portability.all.single",
    ]


def test_only_portability_scopes_count_as_export_permissions():
    assert portability_scopes(["user.info.basic", "video.list", "portability.all.single"]) == [
        "portability.all.single"
    ]


def test_scopes_read_as_words():
    assert describe_scope("portability.postsandprofile.single") == "Posts & profile (once)"
    assert describe_scope("portability.all.ongoing") == "Everything (ongoing)"


def test_an_ongoing_scope_is_preferred_because_it_is_never_used_up():
    granted = ["portability.all.single", "portability.activity.ongoing"]

    assert scope_for_request(["activity"], granted) == "portability.activity.ongoing"


def test_tiktok_uses_up_the_broadest_once_only_scope():
    granted = ["portability.all.single", "portability.activity.single"]

    assert scope_for_request(["activity", "video"], granted) == "portability.all.single"
    assert scope_for_request(["activity"], granted) == "portability.all.single"
    assert (
        scope_for_request(["activity"], granted, used_up=["portability.all.single"])
        == "portability.activity.single"
    )


def test_no_scope_covers_categories_beyond_the_grant():
    granted = ["portability.activity.single"]

    assert scope_for_request(["direct_message"], granted) is None
    assert scope_for_request(["all_data"], granted) is None
    assert scope_for_request(["activity"], granted, used_up=granted) is None


def test_everything_overrides_the_other_categories():
    assert normalise_categories(["video", "all_data"]) == ["all_data"]


def test_allowed_categories_follow_the_grant():
    granted = ["portability.postsandprofile.ongoing"]

    assert categories_allowed(granted) == ["video", "profile"]
    assert categories_allowed(["portability.all.single"]) == [
        "activity",
        "video",
        "profile",
        "direct_message",
        "all_data",
    ]
