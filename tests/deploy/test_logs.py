"""portability_site/logs.py: the request id middleware, the filter that puts the id on every
record, and the JSON formatter (one JSON object per line)."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from collections.abc import Iterator

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from portability_site.logs import (
    NO_REQUEST_ID,
    REQUEST_ID_HEADER,
    JsonFormatter,
    RequestIdFilter,
    RequestIdMiddleware,
    current_request_id,
)

MIDDLEWARE = "portability_site.logs.RequestIdMiddleware"
logger = logging.getLogger("tests.deploy.request")


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the `tests.deploy.request` logger writes, through a handler wired the way the
    settings wire the console: RequestIdFilter on the handler, JsonFormatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def logging_view(request: HttpRequest) -> HttpResponse:
    logger.info("handling %s", request.path)
    return HttpResponse("ok")


def handle(headers: dict[str, str] | None = None) -> HttpResponse:
    request = RequestFactory().get("/somewhere/", headers=headers or {})
    return RequestIdMiddleware(logging_view)(request)


def lines_of(stream: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_log_line_is_one_json_object_with_the_request_id(json_lines) -> None:
    handle({REQUEST_ID_HEADER: "abc-123"})

    text = json_lines.getvalue()
    assert text.count("\n") == 1
    entry = json.loads(text)
    assert entry.keys() == {"time", "level", "logger", "message", "request_id"}
    assert entry["request_id"] == "abc-123"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "tests.deploy.request"
    assert entry["message"] == "handling /somewhere/"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])


def test_a_message_with_line_breaks_stays_on_one_line(json_lines) -> None:
    logger.info("first\nsecond\r\nthird\u2028fourth \u00e9")

    text = json_lines.getvalue()
    assert len(text.splitlines()) == 1
    assert json.loads(text)["message"] == "first\nsecond\r\nthird\u2028fourth \u00e9"


def test_the_exception_text_is_in_the_line_when_there_is_one(json_lines) -> None:
    try:
        raise ValueError("the reason")
    except ValueError:
        logger.exception("it broke")

    (entry,) = lines_of(json_lines)
    assert entry["message"] == "it broke"
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert entry["exception"].endswith("ValueError: the reason")


def test_a_line_without_an_exception_has_no_exception_field(json_lines) -> None:
    logger.info("fine")

    assert "exception" not in lines_of(json_lines)[0]


def test_outside_a_request_the_request_id_is_a_dash(json_lines) -> None:
    logger.info("from a worker")

    assert lines_of(json_lines)[0]["request_id"] == NO_REQUEST_ID == "-"
    assert current_request_id() == "-"


def test_the_formatter_finds_the_request_id_without_the_filter() -> None:
    record = logging.LogRecord("any", logging.INFO, __file__, 1, "message", None, None)
    seen = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen["line"] = JsonFormatter().format(record)
        return HttpResponse()

    RequestIdMiddleware(view)(RequestFactory().get("/", headers={REQUEST_ID_HEADER: "r-1"}))

    assert json.loads(seen["line"])["request_id"] == "r-1"


def test_the_filter_lets_a_plain_format_show_the_request_id() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s [%(request_id)s] %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        handle({REQUEST_ID_HEADER: "plain-42"})
        logger.info("after it")
    finally:
        logger.removeHandler(handler)

    assert stream.getvalue().splitlines() == [
        "INFO [plain-42] handling /somewhere/",
        "INFO [-] after it",
    ]


def test_the_filter_never_drops_a_record() -> None:
    record = logging.LogRecord("any", logging.DEBUG, __file__, 1, "message", None, None)

    assert RequestIdFilter().filter(record) is True
    assert record.request_id == "-"


def test_a_sane_incoming_request_id_is_kept_and_echoed() -> None:
    incoming = "Proxy-1.2_3" + "x" * 53  # 64 characters, every kind allowed

    response = handle({REQUEST_ID_HEADER: incoming})

    assert response[REQUEST_ID_HEADER] == incoming


@pytest.mark.parametrize(
    "incoming",
    [
        "",
        "x" * 65,
        "two words",
        "forged\nline",
        "trailing-newline\n",
        'quote"d',
        "semi;colon",
        "caf\u00e9",
    ],
)
def test_a_bad_incoming_request_id_is_replaced(incoming, json_lines) -> None:
    request = RequestFactory().get("/somewhere/")
    # Set on META directly: the test client would refuse to send some of these.
    request.META["HTTP_X_REQUEST_ID"] = incoming

    response = RequestIdMiddleware(logging_view)(request)

    assert re.fullmatch(r"[0-9a-f]{32}", response[REQUEST_ID_HEADER])
    assert lines_of(json_lines)[0]["request_id"] == response[REQUEST_ID_HEADER]


def test_without_an_incoming_id_every_request_gets_a_fresh_one() -> None:
    first, second = handle()[REQUEST_ID_HEADER], handle()[REQUEST_ID_HEADER]

    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_the_request_carries_its_id_for_views() -> None:
    seen = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen["id"] = request.request_id
        return HttpResponse()

    response = RequestIdMiddleware(view)(RequestFactory().get("/"))

    assert seen["id"] == response[REQUEST_ID_HEADER]


def test_a_log_line_written_while_handling_a_request_carries_its_id(json_lines) -> None:
    response = handle()
    logger.info("after the request")

    during, after = lines_of(json_lines)
    assert during["request_id"] == response[REQUEST_ID_HEADER]
    assert after["request_id"] == "-"


def test_the_id_does_not_outlive_a_request_whose_view_raised() -> None:
    def broken_view(request: HttpRequest) -> HttpResponse:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        RequestIdMiddleware(broken_view)(
            RequestFactory().get("/", headers={REQUEST_ID_HEADER: "b"})
        )

    assert current_request_id() == "-"


def test_requests_handled_at_once_in_threads_each_log_their_own_id(json_lines) -> None:
    # gunicorn's gthread workers: several requests at the same time in one process.
    both_inside = threading.Barrier(2, timeout=10)

    def waiting_view(request: HttpRequest) -> HttpResponse:
        both_inside.wait()
        logger.info("inside")
        both_inside.wait()
        return HttpResponse()

    def serve(request_id: str) -> None:
        request = RequestFactory().get("/", headers={REQUEST_ID_HEADER: request_id})
        RequestIdMiddleware(waiting_view)(request)

    threads = [threading.Thread(target=serve, args=(name,)) for name in ("thread-a", "thread-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(entry["request_id"] for entry in lines_of(json_lines)) == ["thread-a", "thread-b"]


def test_through_the_whole_site_the_header_is_echoed(client, settings) -> None:
    settings.MIDDLEWARE = [MIDDLEWARE, *settings.MIDDLEWARE]

    kept = client.get("/healthz", headers={REQUEST_ID_HEADER: "from-the-proxy"})
    made = client.get("/healthz")

    assert kept.status_code == made.status_code == 200
    assert kept[REQUEST_ID_HEADER] == "from-the-proxy"
    assert re.fullmatch(r"[0-9a-f]{32}", made[REQUEST_ID_HEADER])


def test_the_site_echoes_the_id_on_a_page_the_other_middleware_answers(client, settings) -> None:
    # Placed first, it also covers what the middleware after it answers by itself: here
    # SecurityMiddleware's redirect to https.
    settings.MIDDLEWARE = [MIDDLEWARE, *settings.MIDDLEWARE]
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/", headers={REQUEST_ID_HEADER: "redirected"})

    assert response.status_code == 301
    assert response[REQUEST_ID_HEADER] == "redirected"


def test_django_s_log_line_for_an_error_answer_carries_the_request_s_id(client, settings) -> None:
    # Django logs a 4xx or 5xx answer only after the whole middleware chain has returned.
    settings.MIDDLEWARE = [MIDDLEWARE, *settings.MIDDLEWARE]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    django_request = logging.getLogger("django.request")
    django_request.addHandler(handler)
    try:
        response = client.get("/no-such-page/", headers={REQUEST_ID_HEADER: "lost-404"})
    finally:
        django_request.removeHandler(handler)

    assert response.status_code == 404
    (entry,) = lines_of(stream)
    assert entry["message"] == "Not Found: /no-such-page/"
    assert entry["request_id"] == "lost-404"


def test_a_record_about_a_request_carries_that_request_s_id_even_outside_it() -> None:
    request = RequestFactory().get("/")
    request.request_id = "named-by-the-record"
    record = logging.LogRecord("any", logging.WARNING, __file__, 1, "message", None, None)
    record.request = request

    RequestIdFilter().filter(record)

    assert record.request_id == "named-by-the-record"
    del record.request_id
    assert json.loads(JsonFormatter().format(record))["request_id"] == "named-by-the-record"
