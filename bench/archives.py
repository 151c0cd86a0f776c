"""The archives the benchmark serves: made once by the sandbox's generator, kept in var/bench/."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from common import ROOT, VAR_BENCH, note, size_name

if TYPE_CHECKING:
    from tiktok_sandbox.archives import ArchiveSpec


@dataclass(frozen=True)
class BenchArchive:
    """A generated archive on disk."""

    path: Path
    size: int
    sha256: str


def archive_spec(size: int) -> ArchiveSpec:
    """A realistic export: the first persona, JSON, all data, grown to `size` bytes."""
    from tiktok_sandbox.archives import ArchiveSpec  # noqa: PLC0415 - needs Django set up
    from tiktok_sandbox.personas import PERSONAS  # noqa: PLC0415

    return ArchiveSpec(
        request_id=2**61 + 7,
        persona=PERSONAS[0],
        data_format="json",
        categories=frozenset({"all_data"}),
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        target_size=size,
    )


def ensure_archive(size: int) -> BenchArchive:
    """The archive of `size` in var/bench/, generated unless it is there at its exact size
    (the generator's, which is `size` less at most one item)."""
    from tiktok_sandbox.archives import build_archive  # noqa: PLC0415 - needs Django set up

    archive = build_archive(archive_spec(size))
    path = VAR_BENCH / f"archive-{size_name(size)}.zip"
    if path.is_file() and path.stat().st_size == archive.size:
        return BenchArchive(path, archive.size, known_sha256(path))
    note(f"generating {path.relative_to(ROOT)} ({archive.size} bytes)")
    return BenchArchive(path, archive.size, write_archive(archive.chunks(), path))


def write_archive(chunks: Iterable[bytes], path: Path) -> str:
    """Writes `chunks` to `path` (complete or not at all); returns their SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as file:
        for chunk in chunks:
            digest.update(chunk)
            file.write(chunk)
    partial.replace(path)
    return remember_sha256(path, digest.hexdigest())


def known_sha256(path: Path) -> str:
    """The SHA-256 of `path`, from its sidecar file if that is not older than it."""
    sidecar = sha256_sidecar(path)
    if sidecar.is_file() and sidecar.stat().st_mtime >= path.stat().st_mtime:
        return sidecar.read_text().split()[0]
    with path.open("rb") as file:
        return remember_sha256(path, hashlib.file_digest(file, "sha256").hexdigest())


def remember_sha256(path: Path, sha256: str) -> str:
    sha256_sidecar(path).write_text(f"{sha256}  {path.name}\n")
    return sha256


def sha256_sidecar(path: Path) -> Path:
    """`archive-1G.zip.sha256`, in sha256sum's format."""
    return path.with_name(path.name + ".sha256")
