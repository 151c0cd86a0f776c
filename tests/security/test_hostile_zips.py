"""Hostile archives (checklist T14). The site never extracts an archive: it checks each one as
it streams past (exports.zipcheck) and stores it as it came. So a hostile archive must cost
bounded work and memory to refuse, must write nothing but the archive itself, and the names
inside it must reach a page only escaped.

Archives are made by hand, record by record (APPNOTE 4.3), and streamed from generators: the
ZIP64 one is over 4 GiB without ever being on disk or in memory.
"""

from __future__ import annotations

import functools
import io
import secrets
import signal
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import responses
from django.core.files.storage import default_storage
from django.urls import reverse

from exports import services
from exports.models import ExportEvent, ExportState
from exports.zipcheck import ArchiveInvalidError, ZipStreamVerifier
from tests.exports import factories
from tests.exports.factories import (
    DOWNLOAD_URL,
    authorize,
    make_export,
    make_user,
    stored_files,
)
from tests.support.processes import ROOT

tiktok_at_real_urls = factories.tiktok_at_real_urls
archive_dirs = factories.archive_dirs
published = factories.published

KiB, MiB = 1 << 10, 1 << 20
MEMORY_BOUND = 64 * MiB
# A verification that has not ended after this long never will: generous deadlines, not speed
# targets (each verification here takes a second or two; the traced ones several times that).
DEADLINE = 20
TRACED_DEADLINE = 180
_LOCAL = struct.Struct("<4s5H3I2H")
_CENTRAL = struct.Struct("<4s6H3I5H2I")
STORED, DEFLATE, DESCRIPTOR_FLAG = 0, 8, 1 << 3
MAX32 = 0xFFFFFFFF


# Records ------------------------------------------------------------------------------------


def zip64_extra(*values: int) -> bytes:
    return struct.pack(f"<2H{len(values)}Q", 1, 8 * len(values), *values)


def local_header(
    name: bytes, *, crc: int = 0, csize: int = 0, usize: int = 0, method: int = STORED,
    flags: int = 0, extra: bytes = b"",
) -> bytes:  # fmt: skip
    fixed = (b"PK\x03\x04", 45, flags, method, 0, 0x5C21, crc, csize, usize, len(name))
    return _LOCAL.pack(*fixed, len(extra)) + name + extra


def central_entry(
    name: bytes, offset: int, *, crc: int = 0, csize: int = 0, usize: int = 0,
    method: int = STORED, flags: int = 0, extra: bytes = b"", attributes: int = 0,
) -> bytes:  # fmt: skip
    return _CENTRAL.pack(
        b"PK\x01\x02", 0x0314, 45, flags, method, 0, 0x5C21, crc, csize, usize, len(name),
        len(extra), 0, 0, 0, attributes, offset,
    ) + name + extra  # fmt: skip


def end_records(count: int, central_size: int, central_start: int) -> bytes:
    """The ZIP64 end record and its locator, then the end record pointing at them."""
    at = central_start + central_size
    zip64_end = struct.pack(
        "<4sQ2H2I4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, central_size, central_start
    )
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, at, 1)
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, MAX32, MAX32, 0)
    return zip64_end + locator + end


class VerificationHungError(Exception):
    pass


@contextmanager
def deadline(seconds: float = DEADLINE) -> Iterator[None]:
    """Turns a verification that never ends into a failure (the verifier loops in Python, so
    the alarm interrupts it)."""

    def expire(signum: int, frame: object) -> None:
        raise VerificationHungError(f"the verification did not end within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Counted:
    """Chunks handed to the verifier, counting how many bytes it took before it stopped."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks
        self.taken = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.taken += len(chunk)
            yield chunk


def refusal(chunks: Iterable[bytes]) -> tuple[str, int]:
    """The verifier's error on `chunks`, and how many bytes it read until then."""
    counted = Counted(chunks)
    verifier = ZipStreamVerifier()
    with deadline():
        try:
            for chunk in counted:
                verifier.feed(chunk)
            verifier.finish()
        except ArchiveInvalidError as error:
            return str(error), counted.taken
    pytest.fail("the archive was accepted")


def verified(chunks: Iterable[bytes]) -> int:
    """The member count of the archive made of `chunks`, as the verifier finds it."""
    verifier = ZipStreamVerifier()
    with deadline():
        for chunk in chunks:
            verifier.feed(chunk)
        return verifier.finish()


def peak_memory(chunks: Iterable[bytes]) -> tuple[int | str, int]:
    """What verifying `chunks` returned (or the error), and the peak of memory it allocated."""
    verifier = ZipStreamVerifier()
    result: int | str
    tracemalloc.start()
    try:
        with deadline(TRACED_DEADLINE):
            try:
                for chunk in chunks:
                    verifier.feed(chunk)
                result = verifier.finish()
            except ArchiveInvalidError as error:
                result = str(error)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# Many members, long names -------------------------------------------------------------------


def many_members(count: int, name_length: int = 12) -> Iterator[bytes]:
    """An archive of `count` empty members, streamed in chunks of about 1 MiB."""
    offsets, pending, written = [], bytearray(), 0

    def name(i: int) -> bytes:
        return (b"f%08d.json" % i).ljust(name_length, b"_")

    for i in range(count):
        offsets.append(written + len(pending))
        pending += local_header(name(i))
        if len(pending) >= MiB:
            written += len(pending)
            yield bytes(pending)
            pending.clear()
    start, central = written + len(pending), bytearray()
    for i in range(count):
        central += central_entry(name(i), offsets[i])
        if len(central) >= MiB:
            yield bytes(pending + central)
            written += len(pending) + len(central)
            pending.clear()
            central.clear()
    size = written + len(pending) + len(central) - start
    yield bytes(pending + central) + end_records(count, size, start)


def test_an_archive_of_200000_entries_is_refused_before_its_end_in_bounded_memory():
    total = sum(len(chunk) for chunk in many_members(200_000))
    counted = Counted(many_members(200_000))

    result, peak = peak_memory(counted)

    assert "members" in str(result), result
    assert counted.taken < total / 2  # refused among the local headers, not at the end
    assert peak < MEMORY_BOUND


def test_long_member_names_do_not_pile_up_in_memory_until_the_directory():
    # 2,000 names of 48 KiB: 94 MiB of names, each seen twice (local header, directory).
    result, peak = peak_memory(many_members(2_000, name_length=48 * KiB))

    assert result == 2_000
    assert peak < MEMORY_BOUND


# Decompression bombs ------------------------------------------------------------------------


@functools.cache
def deflated_zero_mib() -> bytes:
    """One MiB of zeros, deflated and flushed so that copies of it can follow each other in
    one deflate stream (about a thousandfold smaller)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(bytes(MiB)) + packer.flush(zlib.Z_FULL_FLUSH)


FINAL_EMPTY_BLOCK = b"\x03\x00"


def in_chunks(chunks: Iterable[bytes], size: int = 64 * KiB) -> Iterator[bytes]:
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        while len(pending) >= size:
            yield bytes(pending[:size])
            del pending[:size]
    if pending:
        yield bytes(pending)


@functools.cache
def crc_of_zeros(mib: int, after: bytes = b"") -> int:
    crc, block = zlib.crc32(after), bytes(MiB)
    for _ in range(mib):
        crc = zlib.crc32(block, crc)
    return crc


def one_deflated_member(name: bytes, body: bytes, crc: int, usize: int, *, declared: bool):
    """An archive of one deflate member: its sizes in the local header (ZIP64 fields), or
    after its data in a data descriptor, as streaming writers put them."""
    csize = len(body)
    if declared:
        extra = zip64_extra(usize, csize)
        header = local_header(name, crc=crc, csize=MAX32, usize=MAX32, method=DEFLATE, extra=extra)
        descriptor, flags = b"", 0
    else:
        header = local_header(name, method=DEFLATE, flags=DESCRIPTOR_FLAG)
        descriptor = struct.pack("<4sIQQ", b"PK\x07\x08", crc, csize, usize)
        flags = DESCRIPTOR_FLAG
    entry = central_entry(
        name, MAX32, crc=crc, csize=MAX32, usize=MAX32, method=DEFLATE, flags=flags,
        extra=zip64_extra(usize, csize, 0),
    )  # fmt: skip
    start = len(header) + csize + len(descriptor)
    return header + body + descriptor + entry + end_records(1, len(entry), start)


BOMB_MIB = 2 * 1024  # 2 GiB of zeros in about 2 MiB


@pytest.mark.parametrize("declared", [True, False], ids=["sizes_in_the_header", "sizes_after"])
def test_a_deflate_bomb_is_refused_after_reading_only_its_start(declared):
    body = deflated_zero_mib() * BOMB_MIB + FINAL_EMPTY_BLOCK
    archive = one_deflated_member(
        b"user_data_tiktok.json", body, crc_of_zeros(BOMB_MIB), BOMB_MIB * MiB, declared=declared
    )

    message, taken = refusal(in_chunks([archive]))

    assert "user_data_tiktok.json" in message
    assert taken <= MiB  # of about 2 MiB: its 2 GiB were never inflated


def test_a_member_that_inflates_past_the_size_its_header_gives_is_refused_at_once():
    name, stream = b"a.json", deflated_zero_mib() * 1024 + FINAL_EMPTY_BLOCK  # 1 GiB of zeros
    header = local_header(name, crc=0, csize=len(stream), usize=1024, method=DEFLATE)

    message, taken = refusal(in_chunks([header, stream]))

    assert "a.json" in message
    assert "1024" in message
    assert taken <= 512 * KiB  # of about 1 MiB


@pytest.mark.parametrize("chunk_size", [64 * KiB, MiB])
def test_a_member_whose_data_ends_on_a_full_mib_of_output_is_verified_and_the_check_ends(
    chunk_size,
):
    """zlib can leave the bytes after a deflate stream in its unconsumed tail when the stream
    ends exactly as the output buffer fills; reading that tail again never ends. A member of
    incompressible data ending in a run of zeros does that, and is a valid, modest archive."""
    noise = secrets.token_bytes(8 * MiB)
    packer = zlib.compressobj(1, zlib.DEFLATED, -15)
    body = packer.compress(noise) + packer.flush(zlib.Z_FULL_FLUSH)
    body += deflated_zero_mib() + FINAL_EMPTY_BLOCK
    crc = crc_of_zeros(1, noise)
    archive = one_deflated_member(b"a.json", body, crc, 9 * MiB, declared=False)

    assert verified(in_chunks([archive], chunk_size)) == 1


# ZIP64 beyond 4 GiB -------------------------------------------------------------------------


BIG_MIB = 4 * 1024 + 1  # a member past what 32 bits can say


@functools.cache
def big_block() -> bytes:
    return secrets.token_bytes(MiB)  # incompressible, the same block throughout


@functools.cache
def crc_of_big() -> int:
    crc, block = 0, big_block()
    for _ in range(BIG_MIB):
        crc = zlib.crc32(block, crc)
    return crc


def over_4_gib(*, central_size_off_by: int = 0) -> Iterator[bytes]:
    """A stored member of BIG_MIB MiB (sizes in ZIP64 extra fields), then a small member whose
    offset is past 4 GiB, their directory and the ZIP64 end records."""
    big, small, after = b"videos.bin", b"after.json", b'{"after": "4 GiB"}'
    size = BIG_MIB * MiB
    extra = zip64_extra(size, size)
    first = local_header(big, crc=crc_of_big(), csize=MAX32, usize=MAX32, extra=extra)
    yield first
    for _ in range(BIG_MIB):
        yield big_block()
    second_at = len(first) + size
    second = local_header(small, crc=zlib.crc32(after), csize=len(after), usize=len(after))
    yield second + after
    start = second_at + len(second) + len(after)
    central_size = size + central_size_off_by
    central = central_entry(
        big, MAX32, crc=crc_of_big(), csize=MAX32, usize=MAX32,
        extra=zip64_extra(central_size, central_size, 0),
    ) + central_entry(
        small, MAX32, crc=zlib.crc32(after), csize=len(after), usize=len(after),
        extra=zip64_extra(second_at),
    )  # fmt: skip
    yield central + end_records(2, len(central), start)


def test_a_zip64_archive_over_4_gib_streams_through_with_both_members_checked():
    assert verified(over_4_gib()) == 2


def test_a_zip64_directory_that_misstates_a_size_past_4_gib_is_refused():
    message, _ = refusal(over_4_gib(central_size_off_by=-1))

    assert "videos.bin" in message
    assert "size" in message


# Paths, links and names, through the real copy ---------------------------------------------


def hostile_names_zip(token: str) -> tuple[bytes, list[str]]:
    """An archive whose members would land outside any folder they were extracted to, or
    link out of it; and the names of the files that would then appear."""
    escapes = [
        f"../../zip-slip-{token}.txt",
        f"/tmp/zip-slip-{token}-absolute.txt",  # noqa: S108 - a name inside the archive
        f"..\\..\\zip-slip-{token}-windows.txt",
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("user_data_tiktok.json", b'{"Profile": {}}')
        for name in escapes:
            archive.writestr(zipfile.ZipInfo(name), b"escaped")
        link = zipfile.ZipInfo(f"link-{token}")
        link.create_system = 3  # unix: the mode below is a symbolic link's
        link.external_attr = 0o120777 << 16
        archive.writestr(link, f"../../../../tmp/zip-slip-{token}-target")
    return buffer.getvalue(), [f"zip-slip-{token}", f"link-{token}"]


@pytest.fixture
def owner(db):
    person = make_user("owner")
    authorize(person)
    return person


@responses.activate
@pytest.mark.usefixtures("tiktok_at_real_urls", "published")
def test_members_that_point_outside_are_stored_as_they_came_and_nothing_else_is_written(
    owner, archive_dirs, client, tmp_path
):
    media, _ = archive_dirs
    token = secrets.token_hex(8)
    archive, markers = hostile_names_zip(token)
    responses.post(DOWNLOAD_URL, body=archive, content_type="application/zip")
    export = make_export(owner, ExportState.FETCHING)

    services.fetch_archive(export.pk)

    export.refresh_from_db()
    assert export.state == ExportState.READY
    assert stored_files(media) == [media / export.archive_key]
    with default_storage.open(export.archive_key, "rb") as stored:
        assert stored.read() == archive
    # Where an extraction would have put them: nothing may be there.
    places = {tmp_path, *tmp_path.parents, media, ROOT, Path.cwd(), Path("/tmp")}  # noqa: S108
    appeared = [p for place in places for marker in markers for p in place.glob(f"*{marker}*")]
    assert appeared == []
    client.force_login(owner)
    download = client.get(reverse("download_export", args=[export.pk]))
    assert b"".join(download.streaming_content) == archive


@responses.activate
@pytest.mark.usefixtures("tiktok_at_real_urls", "archive_dirs", "published")
def test_a_member_name_is_kept_for_the_operator_and_never_reaches_the_export_page(owner, client):
    name = '<img src=x onerror="alert(1)">.json'
    header = local_header(name.encode(), crc=zlib.crc32(b"not these bytes"), csize=8, usize=8)
    broken = header + bytes(8)  # its CRC-32 is wrong: the copy fails, naming the member
    responses.post(DOWNLOAD_URL, body=broken, content_type="application/zip")
    export = make_export(owner, ExportState.FETCHING)

    services.fetch_archive(export.pk)
    client.force_login(owner)
    answer = client.get(reverse("export_detail", args=[export.pk]))
    page = answer.text

    failure = export.events.get(kind=ExportEvent.Kind.FETCH_FAILED)
    assert name in failure.detail
    assert answer.status_code == 200
    assert "<img" not in page
    assert "onerror" not in page  # event details stay out of the page, escaped or not
