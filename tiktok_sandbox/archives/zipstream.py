"""A zip written as a stream, never held whole, whose exact size is known before it is written.

``zipfile`` writes into a ``_Sink`` that keeps only what was written since it was last drained,
and the generator drains it after every write. With an output it cannot seek, ``zipfile`` puts
each entry's CRC and sizes in a data descriptor after the data instead of going back to the
local header, which is what makes streaming possible.

Entries are STORED (not compressed): compression would cost most of the throughput, and it
makes the size a function of the entries' sizes alone (``zip_size``), so the download can send
a Content-Length. Entries over ``zipfile.ZIP64_LIMIT`` get ZIP64 headers.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

# The stream yields whenever this much is pending: a filler block (1 MiB) goes out as it is,
# without a copy; the small records around it join the next chunk.
CHUNK_BYTES = 1 << 19
# Fixed sizes of the zip records written for a STORED entry with a data descriptor.
LOCAL_HEADER = 30
ZIP64_LOCAL_EXTRA = 20
DESCRIPTOR = 16
ZIP64_DESCRIPTOR = 24
CENTRAL_HEADER = 46
END_RECORD = 22
ZIP64_END_RECORDS = 56 + 20  # the ZIP64 end record and its locator
UNIX = 3

DateTime = tuple[int, int, int, int, int, int]


@dataclass(frozen=True)
class Entry:
    """One file of the zip: its name, its exact size, and how to produce its bytes."""

    name: str
    size: int
    chunks: Callable[[], Iterable[bytes]]

    @property
    def zip64(self) -> bool:
        return self.size > zipfile.ZIP64_LIMIT


def iter_zip(entries: Sequence[Entry], date_time: DateTime) -> Iterator[bytes]:
    """Yield the zip of ``entries`` in chunks of ``CHUNK_BYTES`` or more (the last: fewer).

    Deterministic: the same entries and ``date_time`` (every entry's timestamp) give the same
    bytes. Memory stays at about one chunk of an entry plus ``CHUNK_BYTES``. Raises
    RuntimeError if an entry produces other than ``size`` bytes.
    """
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for entry in entries:
            written = 0
            with archive.open(_info(entry.name, date_time), "w", force_zip64=entry.zip64) as out:
                for chunk in entry.chunks():
                    out.write(chunk)
                    written += len(chunk)
                    if sink.pending >= CHUNK_BYTES:
                        yield sink.drain()
            if written != entry.size:
                raise RuntimeError(f"{entry.name}: {written} bytes written, {entry.size} announced")
            if sink.pending >= CHUNK_BYTES:
                yield sink.drain()
    if sink.pending:
        yield sink.drain()


def zip_size(entries: Sequence[Entry]) -> int:
    """The exact size of ``iter_zip(entries)``'s output, computed from the sizes alone.

    Mirrors what ``zipfile`` writes for STORED entries with data descriptors: a local header
    (with a ZIP64 extra for a ZIP64 entry), the data, a descriptor (8-byte sizes if ZIP64); then
    one central header per entry (ZIP64 extra with the sizes and/or the offset when they pass
    the limit) and the end records (ZIP64 ones when the directory's offset or size passes it).
    """
    limit = zipfile.ZIP64_LIMIT
    offset = central = 0
    for entry in entries:
        name = len(entry.name.encode())
        header_offset = offset
        offset += LOCAL_HEADER + name + entry.size
        offset += ZIP64_LOCAL_EXTRA + ZIP64_DESCRIPTOR if entry.zip64 else DESCRIPTOR
        extra_values = (2 if entry.size > limit else 0) + (1 if header_offset > limit else 0)
        central += CENTRAL_HEADER + name + (4 + 8 * extra_values if extra_values else 0)
    needs_zip64 = len(entries) > zipfile.ZIP_FILECOUNT_LIMIT or offset > limit or central > limit
    return offset + central + END_RECORD + (ZIP64_END_RECORDS if needs_zip64 else 0)


def _info(name: str, date_time: DateTime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time)
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = UNIX  # not the platform's: the same bytes wherever it is generated
    info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
    return info


class _Sink:
    """The write-only, unseekable file ``zipfile`` writes into; ``drain`` takes what it holds."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self.pending = 0
        self._position = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        piece = data if isinstance(data, bytes) else bytes(data)
        self._pieces.append(piece)
        self.pending += len(piece)
        self._position += len(piece)
        return len(piece)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        """Nothing to flush: the generator drains the sink."""

    def drain(self) -> bytes:
        """Return and forget everything written since the last drain."""
        pieces, self._pieces, self.pending = self._pieces, [], 0
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)
