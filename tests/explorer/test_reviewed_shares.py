"""Reviewed shares, as their owner makes and uses them: choosing data sets and days, leaving rows
out and putting them back, downloading the zip (CSV tables or one JSON file), offering it to an
API token, and the share going with the archive. The archive itself never changes."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile

import pytest

from exports import services
from exports.datasets import ExportRecord, ReviewedShare
from exports.services import create_api_token

# Days in Berlin (UTC+1 in March): the share below holds 6 and 7 March there.
WATCHED = {
    "before": "2024-03-05 22:45:00",  # 5 March 23:45 in Berlin: out
    "first": "2024-03-05 23:15:00",  # 6 March 00:15 in Berlin: in
    "middle": "2024-03-06 20:00:00",  # in
    "last": "2024-03-07 12:00:00",  # in
    "after": "2024-03-07 23:10:00",  # 8 March 00:10 in Berlin: out
    "later": "2024-03-08 10:00:00",  # out
}
SEARCHED = {
    "tortilla": "2024-03-06 12:00:00",  # in
    "gazpacho": "2024-03-07 12:00:00",  # in
    "paella": "2024-03-09 12:00:00",  # out
}


def link(name: str) -> str:
    return f"https://www.tiktokv.com/share/video/{name}/"


DOCUMENT = {
    "Your Activity": {
        "Watch History": {
            "VideoList": [
                *({"Date": moment, "Link": link(name)} for name, moment in WATCHED.items()),
                {"Link": link("undated")},  # no date: in no range of days
            ]
        },
        "Searches": {
            "SearchList": [
                {"Date": moment, "SearchTerm": term} for term, moment in SEARCHED.items()
            ]
        },
    },
    "Direct Message": {
        "Direct Messages": {
            "ChatHistory": {
                "Chat History with amara.reads:": [
                    {"Date": "2024-03-06 12:00:00", "From": "amara.reads", "Content": "private"}
                ]
            }
        }
    },
}


@pytest.fixture
def export(stored_export, person, client):
    """The person's read export; the person signed in, in Berlin."""
    export = stored_export(person, DOCUMENT)
    client.force_login(person)
    client.cookies["tz"] = "Europe/Berlin"
    return export


def watched(export, name: str) -> int:
    """The position of the video watched at WATCHED[name]."""
    return ExportRecord.objects.get(
        export=export, dataset="watch_history", fields__link=link(name)
    ).position


def searched(export, term: str) -> int:
    return ExportRecord.objects.get(export=export, dataset="searches", fields__term=term).position


def make_share(client, export, file_format: str = "csv", **choice) -> ReviewedShare:
    """Asks for a share as the form does; returns it once the review page answers."""
    data = {
        "datasets": ["watch_history", "searches"],
        "since": "2024-03-06",
        "until": "2024-03-07",
        "file_format": file_format,
        **choice,
    }
    response = client.post(f"/exports/{export.pk}/shares/", data)
    assert response.status_code == 302, response.content.decode()
    share = ReviewedShare.objects.get(export=export, pk=response["Location"].split("/")[-2])
    assert response["Location"] == f"/exports/{export.pk}/shares/{share.pk}/"
    return share


def share_url(share: ReviewedShare, suffix: str = "") -> str:
    return f"/exports/{share.export_id}/shares/{share.pk}/{suffix}"


def review_rows(page) -> dict[int, bool]:
    """The review page's rows: position -> left out."""
    rows = page.by_id("records").all("tr") if page.has_id("records") else []
    return {
        int(row.attrs["id"].removeprefix("row-")): "struck" in row.attrs.get("class", "")
        for row in rows
        if row.attrs.get("id", "").startswith("row-")
    }


def downloaded(client, share: ReviewedShare) -> zipfile.ZipFile:
    response = client.get(share_url(share, "download/"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def csv_tables(archive: zipfile.ZipFile) -> dict[str, list[dict[str, str]]]:
    return {
        name.removesuffix(".csv"): list(csv.DictReader(io.StringIO(archive.read(name).decode())))
        for name in archive.namelist()
    }


def original_archive(client, export) -> bytes:
    response = client.get(f"/exports/{export.pk}/download/")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_a_new_share_holds_the_chosen_data_sets_and_days_in_the_owners_time_zone(export, client):
    share = make_share(client, export)

    assert share.datasets == ["watch_history", "searches"]  # the catalog's order
    assert (share.since, share.until) == (dt.date(2024, 3, 6), dt.date(2024, 3, 7))
    assert share.time_zone == "Europe/Berlin"
    assert (share.file_format, share.struck, share.offered_to) == ("csv", [], None)


def test_the_review_page_lists_exactly_the_rows_the_share_holds(export, client, html):
    share = make_share(client, export)

    page = html(client.get(share_url(share)))

    assert review_rows(page) == {
        watched(export, "last"): False,
        searched(export, "gazpacho"): False,
        watched(export, "middle"): False,
        searched(export, "tortilla"): False,
        watched(export, "first"): False,
    }
    assert page.by_id("struck-count").text == "0 rows"


def test_a_row_left_out_is_marked_on_the_review_and_missing_from_the_zip(export, client, html):
    share = make_share(client, export)
    middle = watched(export, "middle")

    response = client.post(share_url(share, "strike/"), {"position": str(middle)})
    page = html(client.get(share_url(share)))
    tables = csv_tables(downloaded(client, share))

    assert response.status_code == 302
    assert response["Location"] == share_url(share) + f"#row-{middle}"
    assert [position for position, struck in review_rows(page).items() if struck] == [middle]
    assert len(review_rows(page)) == 5  # left out, not hidden: it can be put back
    assert page.by_id("struck-count").text == "1 row"
    assert sorted(tables) == ["searches", "watch_history"]
    assert [row["link"] for row in tables["watch_history"]] == [link("first"), link("last")]
    assert [row["occurred_at"] for row in tables["watch_history"]] == [
        "2024-03-05T23:15:00Z",
        "2024-03-07T12:00:00Z",
    ]
    assert [row["term"] for row in tables["searches"]] == ["tortilla", "gazpacho"]
    assert {row["source"] for row in tables["searches"]} == {
        "Your Activity › Searches › SearchList"
    }


def test_a_row_put_back_is_in_the_zip_again(export, client, html):
    share = make_share(client, export)
    middle = watched(export, "middle")
    client.post(share_url(share, "strike/"), {"position": str(middle)})

    response = client.post(share_url(share, "strike/"), {"position": str(middle), "restore": "1"})
    page = html(client.get(share_url(share)))
    tables = csv_tables(downloaded(client, share))

    assert response.status_code == 302
    share.refresh_from_db()
    assert share.struck == []
    assert review_rows(page)[middle] is False
    assert [row["link"] for row in tables["watch_history"]] == [
        link("first"),
        link("middle"),
        link("last"),
    ]


def test_a_json_share_is_one_file_with_the_days_the_rows_left_out_and_each_data_set(export, client):
    share = make_share(client, export, "json", datasets=["searches"])
    client.post(share_url(share, "strike/"), {"position": str(searched(export, "tortilla"))})

    archive = downloaded(client, share)
    document = json.loads(archive.read("data.json"))

    assert archive.namelist() == ["data.json"]
    assert (document["since"], document["until"], document["rows_left_out"]) == (
        "2024-03-06",
        "2024-03-07",
        1,
    )
    assert dt.datetime.fromisoformat(document["shared_at"]) == share.created_at
    assert document["datasets"] == {
        "searches": [
            {
                "occurred_at": "2024-03-07T12:00:00Z",
                "raw_date": "2024-03-07 12:00:00",
                "source": "Your Activity › Searches › SearchList",
                "term": "gazpacho",
            }
        ]
    }


def test_a_share_of_every_day_holds_the_undated_rows_too(export, client):
    share = make_share(client, export, datasets=["watch_history"], since="", until="")

    tables = csv_tables(downloaded(client, share))

    assert [row["link"] for row in tables["watch_history"]] == [
        *(link(name) for name in WATCHED),
        link("undated"),
    ]


def test_the_original_archive_is_byte_for_byte_the_same_after_sharing(export, client):
    before = original_archive(client, export)
    share = make_share(client, export)
    client.post(share_url(share, "strike/"), {"position": str(watched(export, "first"))})
    downloaded(client, share).testzip()
    client.post(share_url(share, "delete/"))

    after = original_archive(client, export)

    assert after == before
    assert hashlib.sha256(after).hexdigest() == export.archive_sha256
    assert ExportRecord.objects.filter(export=export).count() == 11


@pytest.mark.parametrize(
    "position",
    ["outside-the-days", "another-data-set", "no-such-row", "undated", "abc", "-1", ""],
)
def test_leaving_out_a_row_the_share_does_not_hold_is_refused(export, client, html, position):
    share = make_share(client, export)
    positions = {
        "outside-the-days": str(watched(export, "before")),
        "another-data-set": str(
            ExportRecord.objects.get(export=export, dataset="direct_messages").position
        ),
        "no-such-row": "99999",
        "undated": str(watched(export, "undated")),
    }

    response = client.post(
        share_url(share, "strike/"), {"position": positions.get(position, position)}
    )

    assert response.status_code == 400
    assert html(response).all("p", role="alert")[0].text == "That row is not in this share."
    share.refresh_from_db()
    assert share.struck == []


def test_a_share_without_any_data_set_of_the_export_is_refused(export, client, html):
    nothing = client.post(f"/exports/{export.pk}/shares/", {"file_format": "csv"})
    not_read = client.post(
        f"/exports/{export.pk}/shares/", {"datasets": ["blocked"], "file_format": "csv"}
    )

    assert (nothing.status_code, not_read.status_code) == (400, 400)
    assert "Choose at least one kind of data." in html(nothing).text
    assert not ReviewedShare.objects.exists()


def test_a_share_whose_first_day_comes_after_its_last_is_refused(export, client, html):
    response = client.post(
        f"/exports/{export.pk}/shares/",
        {
            "datasets": ["searches"],
            "since": "2024-03-07",
            "until": "2024-03-06",
            "file_format": "csv",
        },
    )

    assert response.status_code == 400
    assert "The first day comes after the last one." in html(response).text
    assert not ReviewedShare.objects.exists()


def test_a_share_up_to_the_last_day_a_date_can_name_holds_every_row_from_its_first(export, client):
    client.raise_request_exception = False
    share = make_share(
        client, export, datasets=["searches"], since="2024-03-07", until="9999-12-31"
    )

    review = client.get(share_url(share))
    download = client.get(share_url(share, "download/"))

    assert review.status_code == 200
    assert download.status_code == 200
    tables = csv_tables(zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))))
    assert [row["term"] for row in tables["searches"]] == ["gazpacho", "paella"]


def test_a_share_is_offered_to_one_of_the_owners_api_tokens_and_then_to_none(
    export, person, client, html
):
    token, _secret = create_api_token(person, "Research app", None)
    share = make_share(client, export)

    offered = client.post(share_url(share, "offer/"), {"token": str(token.pk)})
    share.refresh_from_db()
    listed = html(client.get(f"/exports/{export.pk}/shares/"))
    offered_to = share.offered_to_id
    withdrawn = client.post(share_url(share, "offer/"), {"token": ""})
    share.refresh_from_db()

    assert offered.status_code == withdrawn.status_code == 302
    assert offered["Location"] == share_url(share)
    assert offered_to == token.pk
    assert "offered to “Research app”" in listed.text
    assert share.offered_to is None


def offering_is_refused(client, share, token, html) -> None:
    response = client.post(share_url(share, "offer/"), {"token": str(token.pk)})

    assert response.status_code == 400
    assert "Choose one of your API tokens." in html(response).text
    share.refresh_from_db()
    assert share.offered_to is None


def test_a_share_cannot_be_offered_to_someone_elses_token(export, stranger, client, html):
    token, _secret = create_api_token(stranger, "Their app", None)

    offering_is_refused(client, make_share(client, export), token, html)


def test_a_share_cannot_be_offered_to_an_expired_token(export, person, client, html):
    token, _secret = create_api_token(person, "Old app", dt.timedelta(seconds=-1))

    offering_is_refused(client, make_share(client, export), token, html)


def test_forgetting_the_records_of_an_archive_deletes_its_shares(export, client):
    share = make_share(client, export)
    other = make_share(client, export, "json")

    services.forget_records(export.pk)

    assert not ReviewedShare.objects.filter(pk__in=[share.pk, other.pk]).exists()
    assert client.get(share_url(share)).status_code == 404
    assert client.get(share_url(share, "download/")).status_code == 404


def test_deleting_the_archive_on_its_page_deletes_its_shares(export, client):
    share = make_share(client, export)

    response = client.post(f"/exports/{export.pk}/delete/")

    assert response.status_code == 302
    assert not ReviewedShare.objects.filter(export=export).exists()
    assert not ExportRecord.objects.filter(export=export).exists()
    assert client.get(share_url(share)).status_code == 404


def test_deleting_a_share_leaves_the_export_and_its_other_shares(export, client, html):
    kept = make_share(client, export, "json")
    share = make_share(client, export)

    response = client.post(share_url(share, "delete/"))

    assert response.status_code == 302
    assert response["Location"] == f"/exports/{export.pk}/shares/"
    assert list(ReviewedShare.objects.filter(export=export)) == [kept]
    assert client.get(share_url(share)).status_code == 404
    assert client.get(share_url(kept)).status_code == 200
