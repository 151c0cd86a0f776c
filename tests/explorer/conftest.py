"""Fixtures of the explorer's tests: archives in TikTok's JSON layout, stored in the site's real
file storage and read into PostgreSQL by the real reading; pages read back as HTML trees."""

from __future__ import annotations

import io
import itertools
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from exports import services
from exports.datasets import ExportReading, ReadingState
from exports.models import ExportRequest
from tests.exports import factories
from tests.exports.factories import make_ready_export, make_user

archive_dirs = factories.archive_dirs


def json_archive(document: dict) -> bytes:
    """A zip as TikTok writes a JSON export: one `user_data_tiktok.json`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("user_data_tiktok.json", json.dumps(document, indent=2))
    return buffer.getvalue()


@pytest.fixture
def person(db) -> AbstractBaseUser:
    return make_user("lucia")


@pytest.fixture
def stranger(db) -> AbstractBaseUser:
    return make_user("ines")


@pytest.fixture
def stored_export(archive_dirs) -> Callable[..., ExportRequest]:
    """Stores `document` as the person's ready export and, unless `read` is False, reads it
    as the worker does. Other keywords are the export's fields (`created_at`)."""
    request_ids = itertools.count(factories.BIG_REQUEST_ID)

    def store(
        user: AbstractBaseUser, document: dict, *, read: bool = True, **fields: Any
    ) -> ExportRequest:
        fields.setdefault("tiktok_request_id", next(request_ids))  # unique per export
        export = make_ready_export(user, json_archive(document), **fields)
        ExportReading.objects.create(export=export, next_step_at=timezone.now())
        if read:
            services.read_export(export.pk)
            assert ExportReading.objects.get(export=export).state == ReadingState.DONE
        return export

    return store


# Pages as trees -----------------------------------------------------------------------------

VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()  # noqa: SIM905
)


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The node's text, whitespace collapsed."""
        return " ".join("".join(self._texts()).split())

    def _texts(self) -> Iterator[str]:
        for child in self.children:
            if isinstance(child, str):
                yield child
            else:
                yield from child._texts()

    def walk(self) -> Iterator[Node]:
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.walk()

    def all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        """Descendants with the tag, class and attributes given (`data_count` is
        `data-count`)."""
        wanted = {name.replace("_", "-"): value for name, value in attrs.items()}
        return [
            node
            for node in self.walk()
            if (tag is None or node.tag == tag)
            and (cls is None or cls in node.attrs.get("class", "").split())
            and all(node.attrs.get(name) == value for name, value in wanted.items())
        ]

    def by_id(self, element_id: str) -> Node:
        (found,) = self.all(id=element_id)
        return found

    def has_id(self, element_id: str) -> bool:
        return bool(self.all(id=element_id))

    def table(self, caption: str) -> list[list[str]]:
        """The body rows (cell texts) of the one table captioned `caption`."""
        (table,) = [
            node
            for node in self.all("table")
            if any(c.text == caption for c in node.all("caption"))
        ]
        (body,) = table.all("tbody")
        return [
            [cell.text for cell in row.children if isinstance(cell, Node)] for row in body.all("tr")
        ]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs})
        self.open[-1].children.append(node)
        if tag not in VOID:
            self.open.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open[-1].children.append(Node(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, 0, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                return

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


def html_of(response: Any) -> Node:
    """The response's page as a tree."""
    builder = _TreeBuilder()
    builder.feed(response.content.decode())
    builder.close()
    return builder.root


@pytest.fixture
def html() -> Callable[[Any], Node]:
    """Reads a response's page as a tree: `html(response).by_id("sessions")`."""
    return html_of
