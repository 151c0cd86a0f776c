"""The data sets of the ``activity`` category: what the person watched, liked, saved, searched,
shared and commented, their logins and devices, and the unknown ``Mystery Feature``.

Each builder returns the data set's value in its Gen C spelling (tiktok-api.md §3.2), drawn
from its own stream; ``generations`` says where each goes in a layout and how it is spelled
there.
"""

from __future__ import annotations

from typing import Any

from tiktok_sandbox.archives.fake import CARRIERS, NETWORKS, SHARE_METHODS
from tiktok_sandbox.archives.items import Context, Item, dated, listed, watch_maker

WATCH_DAYS = 60  # the natural watch history spans the last 60 days
MYSTERY_ITEMS = 4  # exactly: a test of a reader can count them


def watch(ctx: Context) -> list[Item]:
    """The watch history, the biggest list: ``Date``, ``Link``, ``Title``."""
    fake = ctx.fake("watch")
    return listed(fake, watch_maker(fake), ctx.count("watch"), WATCH_DAYS)


def likes(ctx: Context) -> list[Item]:
    """The Like List: lowercase ``date``/``link``, as TikTok writes them since Gen B."""
    fake = ctx.fake("likes")
    return [
        {"date": when, "link": fake.video_link()}
        for when in fake.stamps(ctx.count("likes"), days=200)
    ]


def favorites(ctx: Context) -> list[Item]:
    fake = ctx.fake("favorites")
    return dated(fake, ctx.count("favorites"), 300, Link=fake.video_link)


def sounds(ctx: Context) -> list[Item]:
    fake = ctx.fake("sounds")
    return dated(
        fake,
        ctx.count("sounds"),
        400,
        Link=lambda: f"https://www.tiktok.com/music/sound-{fake.video_id()}",
    )


def effects(ctx: Context) -> list[Item]:
    fake = ctx.fake("effects")
    return dated(
        fake,
        ctx.count("effects"),
        400,
        EffectLink=lambda: f"https://www.tiktok.com/effect/{fake.digits(16)}",
    )


def collections(ctx: Context) -> list[Item]:
    fake = ctx.fake("collections")
    return dated(fake, ctx.count("collections"), 400, FavoriteCollection=fake.topic)


def searches(ctx: Context) -> list[Item]:
    fake = ctx.fake("searches")
    return dated(fake, ctx.count("searches"), 90, SearchTerm=fake.topic)


def shares(ctx: Context) -> list[Item]:
    fake = ctx.fake("shares")
    return dated(
        fake,
        ctx.count("shares"),
        120,
        SharedContent=lambda: "video",
        Link=fake.video_link,
        Method=lambda: fake.pick(SHARE_METHODS),
    )


def reposts(ctx: Context) -> list[Item]:
    fake = ctx.fake("reposts")
    return dated(fake, ctx.count("reposts"), 120, Link=fake.video_link)


def logins(ctx: Context) -> list[Item]:
    fake = ctx.fake("logins")
    items = []
    for when in fake.stamps(ctx.count("logins"), days=180):
        model, system = fake.device()
        items.append(
            {
                "Date": when,
                "IP": fake.ip(),
                "DeviceModel": model,
                "DeviceSystem": system,
                "NetworkType": fake.pick(NETWORKS),
                "Carrier": fake.pick(CARRIERS),
            }
        )
    return items


def statuses(ctx: Context) -> list[Item]:
    """Devices the person used; ``UID`` and ``DID`` are Gen C's."""
    fake = ctx.fake("statuses")
    return [
        {
            "Resolution": fake.pick(("1170*2532", "1080*2400", "1440*3088")),
            "App Version": fake.pick(("37.4.0", "38.1.3", "39.0.2")),
            "IDFA": fake.uuid(),
            "GAID": "",
            "Android ID": "",
            "IDFV": fake.uuid(),
            "UID": int(fake.digits(18)),
            "DID": fake.video_id(),
            "Web ID": "",
        }
        for _ in range(ctx.count("statuses"))
    ]


def comments(ctx: Context) -> list[Item]:
    """Comments: lowercase keys, dates with a `` UTC`` suffix, as Gen C writes them."""
    fake = ctx.fake("comments")
    items = []
    for when in fake.stamps(ctx.count("comments"), days=300):
        link = fake.video_link()
        items.append(
            {
                "date": f"{when} UTC",
                "comment": fake.phrase(),
                "photo": "N/A",
                "video": "N/A",
                "sticker": "N/A",
                "originalPostUrl": link,
                "original post link": link,
            }
        )
    return items


def summary(ctx: Context) -> dict[str, Any]:
    """The Activity Summary: counts that agree with the lists beside it."""
    return {
        "note": "This data was collected since your account was registered.",
        "videosCommentedOnSinceAccountRegistration": ctx.count("comments"),
        "videosSharedSinceAccountRegistration": ctx.count("shares"),
        "videosWatchedToTheEndSinceAccountRegistration": ctx.count("watch") // 2,
    }


def mystery(ctx: Context) -> list[Item]:
    """A section no reader knows, as TikTok adds now and then: a reader must keep going."""
    fake = ctx.fake("mystery")
    return dated(fake, MYSTERY_ITEMS, 30, Mystery=fake.topic)
