"""The export archives the Download endpoint streams (tiktok-api.md §3), in every layout TikTok
has used (tiktok-archive-layouts.md), so that a reader can be tested against all of them.

``build_archive(spec)`` lays an archive out; its ``size`` is exact and known before a byte is
generated, and ``chunks()`` streams it. Deterministic: the same spec always gives the same
bytes (values seeded from the request id, zip timestamps from the request time). Memory stays
at a few MiB whatever the size, up to many GB.

The spec's ``style`` (``tiktok_sandbox.layouts``, stored on the request) picks the layout:

- ``json``: one ``user_data_tiktok.json`` in JSON generation A, B or C (``gen_a``, ``gen_b``,
  ``gen_c``), holding only the top-level keys that generation gives the requested categories;
  ``gen_c_doubled`` writes the Gen C document twice in a row (invalid JSON as a whole).
- ``text``: TikTok's folder tree of ``.txt`` files under ``TikTok/``: the current English tree
  (Gen C layouts), the English tree of December 2024 (Gen A and B) or the Dutch tree.
- With ``unknown_section``, the activity data also holds ``Mystery Feature``, a section no
  reader knows (4 items).

The data sets are the same in every layout: only where they are and how they are spelled
change. With a target size (``TIKTOK_SANDBOX_ARCHIVE_SIZE``, stored on the request), the
biggest list (the watch history if the archive holds it; else posts, the first chat or the
following list) grows until the zip is the target size to within one item; below the natural
size, every list starts from a single item instead. An archive with no list that can grow (a
Dutch text export of posts only, say) keeps its natural size.

Modules: ``document`` (files and layout), ``generations`` and ``skeletons`` (the JSON
generations), ``trees`` and ``text`` (the text trees and their syntax), ``activity`` and
``account`` (the data sets), ``items`` and ``fake`` (item shapes, synthetic values), ``filler``
(the fast growing part) and ``zipstream`` (the zip as a stream, and its size).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tiktok_sandbox.archives.document import File, lay_out
from tiktok_sandbox.archives.items import MINIMAL_COUNTS, NATURAL_COUNTS
from tiktok_sandbox.archives.zipstream import DateTime, Entry, iter_zip, zip_size
from tiktok_sandbox.layouts import ArchiveStyle
from tiktok_sandbox.models import PortabilityRequest
from tiktok_sandbox.personas import Persona, get_persona
from tiktok_sandbox.portability import effective_categories

__all__ = [
    "Archive",
    "ArchiveSpec",
    "archive_sha256_and_size",
    "archive_size",
    "build_archive",
    "iter_archive",
]


@dataclass(frozen=True)
class ArchiveSpec:
    """Everything an archive depends on. ``target_size`` 0 means the natural size."""

    request_id: int
    persona: Persona
    data_format: str
    categories: frozenset[str]
    created_at: datetime
    target_size: int = 0
    style: ArchiveStyle = field(default_factory=ArchiveStyle)

    @classmethod
    def for_request(
        cls, data_request: PortabilityRequest, persona: Persona | None = None
    ) -> ArchiveSpec:
        """The spec of a stored request; its persona is looked up unless given.

        Raises LookupError if the request's persona does not exist (any more).
        """
        persona = persona or get_persona(data_request.open_id)
        if persona is None:
            raise LookupError(f"No sandbox persona has open_id {data_request.open_id!r}.")
        return cls(
            request_id=data_request.request_id,
            persona=persona,
            data_format=data_request.data_format,
            categories=effective_categories(data_request.category_selection_list),
            created_at=data_request.applied_at,
            target_size=data_request.archive_size,
            style=data_request.archive_style,
        )


@dataclass(frozen=True)
class Archive:
    """A laid out archive: its entries are known, their bytes not generated yet."""

    entries: tuple[Entry, ...]
    date_time: DateTime

    @property
    def size(self) -> int:
        """The zip's exact size in bytes."""
        return zip_size(self.entries)

    @property
    def names(self) -> list[str]:
        return [entry.name for entry in self.entries]

    def chunks(self) -> Iterator[bytes]:
        """The zip's bytes, in chunks of about 1 MiB."""
        return iter_zip(self.entries, self.date_time)


def build_archive(spec: ArchiveSpec) -> Archive:
    """Lay out the archive of ``spec``, sized to ``spec.target_size`` if that is set (to within
    one item; as near as it gets if the archive has no list that can grow)."""
    target = spec.target_size
    files = _files(spec, natural=True, grow=target > 0)
    if target > 0:
        if zip_size(_entries(files)) > target:
            files = _files(spec, natural=False, grow=True)
        files = _grown(files, target)
    created = spec.created_at.astimezone(UTC)
    return Archive(_entries(files), created.timetuple()[:6])


def iter_archive(spec: ArchiveSpec) -> Iterator[bytes]:
    """The zip of ``spec``, streamed in chunks."""
    return build_archive(spec).chunks()


def archive_size(spec: ArchiveSpec) -> int:
    """The exact size of the zip of ``spec``, without generating it."""
    return build_archive(spec).size


def archive_sha256_and_size(spec: ArchiveSpec) -> tuple[str, int]:
    """The SHA-256 (hex) and size of the zip of ``spec``, by generating it all (slow if big)."""
    digest = hashlib.sha256()
    size = 0
    for chunk in iter_archive(spec):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _files(spec: ArchiveSpec, *, natural: bool, grow: bool) -> list[File]:
    return lay_out(
        seed=spec.request_id,
        anchor=spec.created_at.astimezone(UTC),
        persona=spec.persona,
        categories=spec.categories,
        data_format=spec.data_format,
        style=spec.style,
        counts=NATURAL_COUNTS if natural else MINIMAL_COUNTS,
        grow=grow,
    )


def _grown(files: list[File], target: int) -> list[File]:
    """``files`` with as many filler items as fit in a zip of ``target`` bytes; as they are
    if none of them can grow."""
    grows = next((file for file in files if file.filler is not None), None)
    if grows is None or grows.filler is None:
        return files
    base = zip_size(_entries(files))
    count = grows.filler.most_within(target - base)
    sized = [file.with_filler_count(count) for file in files]
    # The ZIP64 records an entry or the directory may need past 2 GiB are not in the budget:
    # drop the items that do not fit any more (one or two at most).
    while count > 0 and zip_size(_entries(sized)) > target:
        count -= 1
        sized = [file.with_filler_count(count) for file in files]
    return sized


def _entries(files: list[File]) -> tuple[Entry, ...]:
    return tuple(file.entry() for file in files)
