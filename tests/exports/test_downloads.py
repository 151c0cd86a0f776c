"""Handing a stored archive to its owner (exports.downloads through the views): in full, by
byte range, and to nobody else."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from exports.downloads import RangeNotSatisfiableError, parse_range
from exports.models import ExportState
from tests.exports import factories
from tests.exports.factories import authorize, make_export, make_ready_export, make_user, make_zip

archive_dirs = factories.archive_dirs
published = factories.published

ARCHIVE = make_zip(3000)
SIZE = len(ARCHIVE)


@pytest.fixture(autouse=True)
def _isolated(archive_dirs, published):
    """Archives under this test's directory; nothing reaches a broker."""


@pytest.fixture
def owner(db):
    person = make_user("owner")
    authorize(person)
    return person


@pytest.fixture
def export(owner):
    return make_ready_export(owner, ARCHIVE)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def download_url(export) -> str:
    return reverse("download_export", args=[export.pk])


def body(response) -> bytes:
    content = response.getvalue()
    response.close()
    return content


def test_the_owner_downloads_the_exact_bytes_as_an_attachment(owner_client, export):
    response = owner_client.get(download_url(export))

    assert response.status_code == 200
    assert body(response) == ARCHIVE
    assert response["Content-Disposition"].startswith("attachment;")
    assert export.archive_filename() in response["Content-Disposition"]
    assert response["Content-Length"] == str(SIZE)
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"] == f'"{export.archive_sha256}"'


def test_a_byte_range_gets_206_and_exactly_those_bytes(owner_client, export):
    response = owner_client.get(download_url(export), headers={"Range": "bytes=10-99"})

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 10-99/{SIZE}"
    assert response["Content-Length"] == "90"
    assert body(response) == ARCHIVE[10:100]
    assert response["Content-Disposition"].startswith("attachment;")


def test_an_open_ended_range_resumes_from_the_offset_to_the_end(owner_client, export):
    response = owner_client.get(download_url(export), headers={"Range": "bytes=1000-"})

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 1000-{SIZE - 1}/{SIZE}"
    assert body(response) == ARCHIVE[1000:]


def test_a_suffix_range_gets_the_last_bytes(owner_client, export):
    response = owner_client.get(download_url(export), headers={"Range": "bytes=-50"})

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {SIZE - 50}-{SIZE - 1}/{SIZE}"
    assert body(response) == ARCHIVE[-50:]


def test_a_range_past_the_end_is_416_with_the_size(owner_client, export):
    response = owner_client.get(download_url(export), headers={"Range": f"bytes={SIZE}-"})

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"


def test_several_ranges_are_ignored_and_the_whole_archive_sent(owner_client, export):
    # RFC 9110 §14.2 lets a server ignore a Range it does not serve; a download manager asking
    # for several pieces still gets the file.
    response = owner_client.get(download_url(export), headers={"Range": "bytes=0-9,20-29"})

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == ARCHIVE


def test_a_range_in_a_unit_other_than_bytes_is_ignored_and_the_whole_archive_sent(
    owner_client, export
):
    # RFC 9110 §14.2: "An origin server MUST ignore a Range header field that contains a range
    # unit it does not understand."
    response = owner_client.get(download_url(export), headers={"Range": "items=0-5"})

    assert response.status_code == 200
    assert body(response) == ARCHIVE


def test_if_range_with_another_etag_gets_the_whole_archive(owner_client, export):
    response = owner_client.get(
        download_url(export), headers={"Range": "bytes=10-99", "If-Range": '"an-older-archive"'}
    )

    assert response.status_code == 200
    assert body(response) == ARCHIVE


def test_if_range_with_the_current_etag_gets_the_range(owner_client, export):
    response = owner_client.get(
        download_url(export),
        headers={"Range": "bytes=10-99", "If-Range": f'"{export.archive_sha256}"'},
    )

    assert response.status_code == 206
    assert body(response) == ARCHIVE[10:100]


@pytest.mark.parametrize(
    ("method", "name"),
    [("get", "export_detail"), ("get", "download_export"), ("post", "cancel_export")],
)
def test_another_person_gets_404_for_someone_elses_export(client, db, method, name):
    owner = make_user("owner")
    active = make_export(owner)  # cancellable, so only ownership stands in the way
    ready = make_ready_export(owner, ARCHIVE, scope="portability.activity.ongoing")
    client.force_login(make_user("mallory"))

    for export in (active, ready):
        response = getattr(client, method)(reverse(name, args=[export.pk]))
        assert response.status_code == 404

    active.refresh_from_db()
    assert active.state == ExportState.REQUESTED


@pytest.mark.parametrize("name", ["export_detail", "download_export"])
def test_a_signed_out_visitor_is_sent_to_sign_in(client, export, name):
    url = reverse(name, args=[export.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('home')}?next={url}"


@pytest.mark.parametrize("name", ["export_detail", "download_export"])
def test_an_unknown_export_id_is_404(owner_client, name):
    response = owner_client.get(reverse(name, args=[uuid.uuid4()]))

    assert response.status_code == 404


@pytest.mark.parametrize(
    "state",
    [ExportState.REQUESTED, ExportState.PROCESSING, ExportState.FETCHING, ExportState.FAILED],
)
def test_an_export_that_is_not_ready_cannot_be_downloaded(owner_client, owner, state):
    export = make_export(owner, state)

    response = owner_client.get(download_url(export))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=0-0", 10, (0, 0)),
        ("bytes=0-9", 10, (0, 9)),
        ("bytes=3-", 10, (3, 9)),
        ("bytes=9-", 10, (9, 9)),
        ("bytes=2-1000", 10, (2, 9)),
        ("bytes=-3", 10, (7, 9)),
        ("bytes=-1000", 10, (0, 9)),
        (" bytes=1-2 ", 10, (1, 2)),
        ("bytes=5-3", 10, None),
        ("bytes=-", 10, None),
        ("bytes=0-1,3-4", 10, None),
        ("bytes=a-b", 10, None),
        ("items=0-1", 10, None),
        ("", 10, None),
    ],
)
def test_parse_range_reads_one_bytes_range_within_the_size(header, size, expected):
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(
    ("header", "size"),
    [("bytes=10-", 10), ("bytes=10-20", 10), ("bytes=-0", 10), ("bytes=0-", 0), ("bytes=-5", 0)],
)
def test_parse_range_refuses_byte_ranges_past_the_end(header, size):
    with pytest.raises(RangeNotSatisfiableError):
        parse_range(header, size)


def test_head_gives_the_size_without_the_body(owner_client, export):
    response = owner_client.head(download_url(export))

    assert response.status_code == 200
    assert response["Content-Length"] == str(SIZE)
    assert response["Accept-Ranges"] == "bytes"
    assert response.content == b""


@pytest.mark.parametrize(
    "header",
    [
        "bytes=" + "9" * 5000 + "-",
        "bytes=0-" + "9" * 5000,
        "bytes=-" + "9" * 5000,
        "bytes=" + "1" * 5000 + "-" + "2" * 5000,
    ],
    ids=["start", "end", "suffix", "both"],
)
def test_a_range_with_thousands_of_digits_is_refused_with_416_not_a_server_error(
    owner_client, export, header
):
    response = owner_client.get(download_url(export), headers={"Range": header})

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"
