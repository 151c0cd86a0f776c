"""The reader of TikTok exports: a stored archive in, clean records per data set out, whatever
the layout's generation (JSON Gen A, B, C), format (JSON or a tree of text files) or language.

No Django here: `read_archive(file)` takes any seekable binary file holding the zip and returns
an `ArchiveReading`, whose `records()` streams the records; once that is exhausted, `layout`
says what the export is and `sections` lists every section found, the unrecognized ones
(TikTok changed something) with what they hold. Memory stays flat whatever the archive's size:
one record is built at a time.

    reading = read_archive(open("export.zip", "rb"))
    for record in reading.records(): ...
    reading.layout, reading.sections.unrecognized()
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Buffer, Iterator
from itertools import chain
from typing import IO, BinaryIO

from exports.reader.catalog import BY_NAME, DATASET_NAMES, DATASETS, Dataset
from exports.reader.json_reader import JsonReader
from exports.reader.records import PATH_SEPARATOR, Layout, ReadError, Record, Section, Sections
from exports.reader.text_reader import TextMember, TextReader

__all__ = [
    "BY_NAME",
    "DATASETS",
    "DATASET_NAMES",
    "PATH_SEPARATOR",
    "ArchiveReading",
    "Dataset",
    "Layout",
    "ReadError",
    "Record",
    "Section",
    "Sections",
    "read_archive",
]

JSON_NAMES = ("user_data_tiktok.json", "user_data.json")


class _Counted(io.RawIOBase):
    """A zip member's stream that counts the bytes read from it: the reading's progress."""

    def __init__(self, stream: IO[bytes], reading: ArchiveReading) -> None:
        self._stream = stream
        self._reading = reading

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Buffer) -> int:
        chunk = self._stream.read(len(buffer))
        memoryview(buffer)[: len(chunk)] = chunk
        self._reading.bytes_read += len(chunk)
        return len(chunk)

    def close(self) -> None:
        self._stream.close()
        super().close()


class ArchiveReading:
    """One reading of one archive. `bytes_total` is the size of the data it reads once
    uncompressed, `bytes_read` how much of it is read so far."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self._zip = archive
        infos = [info for info in archive.infolist() if not info.is_dir()]
        # Every file of the archive with its size once uncompressed, for people to see.
        self.files = [(info.filename, info.file_size) for info in infos]
        self._json = _json_member(infos)
        self._texts = [i for i in infos if i.filename.lower().endswith(".txt")]
        if self._json is None and not self._texts:
            raise ReadError("no_tiktok_data", "the archive holds no TikTok data file")
        members = [self._json] if self._json is not None else self._texts
        self.bytes_total = sum(info.file_size for info in members)
        self.bytes_read = 0
        self._reader: JsonReader | TextReader | None = None

    @property
    def format(self) -> str:
        return "json" if self._json is not None else "text"

    @property
    def layout(self) -> Layout:
        return self._reader.layout if self._reader else Layout(self.format)

    @property
    def sections(self) -> Sections:
        return self._reader.sections if self._reader else Sections()

    def records(self) -> Iterator[Record]:
        """Every record of the archive, in its order: the same archive always gives the same
        records in the same order. Raises ReadError for a data file that cannot be read."""
        return chain.from_iterable(self._batches())

    def _batches(self) -> Iterator[list[Record]]:
        self.bytes_read = 0  # each reading starts from the first byte again
        if self._json is not None:
            self._reader = JsonReader(_Counted(self._zip.open(self._json), self))
        else:
            members = [
                TextMember(info.filename, lambda info=info: _Counted(self._zip.open(info), self))
                for info in self._texts
            ]
            self._reader = TextReader(members)
        try:
            yield from self._reader.batches()
        except (zipfile.BadZipFile, EOFError, OSError) as error:
            raise ReadError("broken_zip", f"the archive cannot be decompressed: {error}") from None


def read_archive(file: BinaryIO) -> ArchiveReading:
    """The reading of the zip in `file` (seekable). Raises ReadError if it is not a zip or
    holds no TikTok data file."""
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError) as error:
        raise ReadError("not_a_zip", f"the archive is not a zip file: {error}") from None
    return ArchiveReading(archive)


def _json_member(infos: list[zipfile.ZipInfo]) -> zipfile.ZipInfo | None:
    """The JSON data file: TikTok's current name, then the older one, then any lone .json."""
    by_name = {info.filename.rsplit("/", 1)[-1].lower(): info for info in infos}
    for name in JSON_NAMES:
        if name in by_name:
            return by_name[name]
    found = [info for info in infos if info.filename.lower().endswith(".json")]
    return found[0] if len(found) == 1 else None
