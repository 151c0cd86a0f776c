"""The streaming zip verifier: valid archives of every layout pass, whatever the chunking;
truncated, corrupted, extended or unsupported ones fail with ArchiveInvalidError."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from exports.zipcheck import MAX_RATIO, ArchiveInvalidError, ZipStreamVerifier, verify_zip_stream
from tiktok_sandbox.archives import ArchiveSpec, iter_archive
from tiktok_sandbox.personas import PERSONAS

MiB = 1 << 20
CHUNK_SIZES = [1, 7, 64 * 1024, MiB]
DD_SIG = b"PK\x07\x08"
END_SIG = b"PK\x05\x06"


class Unseekable:
    """A write-only file: zipfile cannot seek back, so it writes data descriptors."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()

    def write(self, data: bytes) -> int:
        return self.buffer.write(data)

    def flush(self) -> None:
        pass


def pseudo_random(size: int, seed: int = 1) -> bytes:
    """Incompressible but reproducible bytes."""
    out, counter = bytearray(), 0
    while len(out) < size:
        out += zlib.crc32(b"%d-%d" % (seed, counter)).to_bytes(4, "little")
        counter += 1
    return bytes(out[:size])


CONTENTS: dict[str, bytes] = {
    "empty.txt": b"",
    "notes/ünïcødé 名前.txt": "Grüße aus Sevilla\n".encode() * 50,
    "data.bin": pseudo_random(70_000),  # more than one 64 KiB chunk
    "fake-descriptor.bin": b"abc" + DD_SIG + b"junk that follows a signature" * 3,
}


def build_zip(
    contents: dict[str, bytes] = CONTENTS,
    *,
    seekable: bool = True,
    compression: int = zipfile.ZIP_STORED,
    zip64: bool = False,
    comment: bytes = b"",
) -> bytes:
    out = io.BytesIO() if seekable else Unseekable()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:  # type: ignore[arg-type]
        archive.comment = comment
        for name, data in contents.items():
            info = zipfile.ZipInfo(name, (2026, 1, 1, 12, 0, 0))
            info.compress_type = compression
            with archive.open(info, "w", force_zip64=zip64) as member:
                member.write(data)
    return (out if isinstance(out, io.BytesIO) else out.buffer).getvalue()


def chunked(data: bytes, size: int) -> Iterator[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


def member_count(data: bytes) -> int:
    return len(zipfile.ZipFile(io.BytesIO(data)).infolist())


def error_of(chunks: Iterable[bytes]) -> str:
    with pytest.raises(ArchiveInvalidError) as caught:
        verify_zip_stream(chunks)
    return str(caught.value)


LAYOUTS = {
    "stored, sizes in the local header": {},
    "stored, data descriptors": {"seekable": False},
    "deflated, sizes in the local header": {"compression": zipfile.ZIP_DEFLATED},
    "deflated, data descriptors": {"compression": zipfile.ZIP_DEFLATED, "seekable": False},
    "stored, ZIP64 local headers": {"zip64": True},
    "stored, ZIP64 data descriptors": {"zip64": True, "seekable": False},
    "deflated, ZIP64 local headers": {"zip64": True, "compression": zipfile.ZIP_DEFLATED},
    "deflated, ZIP64 data descriptors": {
        "zip64": True,
        "compression": zipfile.ZIP_DEFLATED,
        "seekable": False,
    },
}


@pytest.fixture(scope="module", params=LAYOUTS.values(), ids=LAYOUTS.keys())
def layout_zip(request: pytest.FixtureRequest) -> bytes:
    return build_zip(**request.param)


# Small enough to try every cut and every flipped byte of.
SMALL = {"a.txt": b"hello " * 40, "ä/b.bin": pseudo_random(300) + DD_SIG + b"x" * 30}


@pytest.fixture(scope="module", params=LAYOUTS.values(), ids=LAYOUTS.keys())
def small_zip(request: pytest.FixtureRequest) -> bytes:
    return build_zip(SMALL, comment=b"hi", **request.param)


# Valid archives


@pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
def test_every_layout_passes_with_its_member_count_whatever_the_chunk_size(
    layout_zip: bytes, chunk_size: int
) -> None:
    assert verify_zip_stream(chunked(layout_zip, chunk_size)) == member_count(layout_zip) == 4


def sandbox_spec(data_format: str, target_size: int) -> ArchiveSpec:
    return ArchiveSpec(
        request_id=2**61 + 5,
        persona=PERSONAS[0],
        data_format=data_format,
        categories=frozenset({"all_data"}),
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        target_size=target_size,
    )


@pytest.mark.parametrize("data_format", ["json", "text"])
@pytest.mark.parametrize("chunk_size", [7, 64 * 1024, MiB])
def test_sandbox_archives_of_natural_size_pass(data_format: str, chunk_size: int) -> None:
    data = b"".join(iter_archive(sandbox_spec(data_format, 0)))
    assert verify_zip_stream(chunked(data, chunk_size)) == member_count(data)


@pytest.mark.parametrize("data_format", ["json", "text"])
def test_sandbox_archives_of_a_few_mib_pass_as_the_sandbox_streams_them(data_format: str) -> None:
    chunks = list(iter_archive(sandbox_spec(data_format, 3 * MiB)))
    data = b"".join(chunks)
    assert len(data) > 2 * MiB
    assert verify_zip_stream(chunks) == member_count(data)
    assert verify_zip_stream(chunked(data, 64 * 1024 + 3)) == member_count(data)


def test_a_truncated_sandbox_archive_fails() -> None:
    data = b"".join(iter_archive(sandbox_spec("text", 3 * MiB)))
    for cut in (100, len(data) // 2, len(data) - 30, len(data) - 1):
        with pytest.raises(ArchiveInvalidError):
            verify_zip_stream(chunked(data[:cut], 64 * 1024))


@pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
def test_an_empty_zip_passes_with_no_members(chunk_size: int) -> None:
    buffer = io.BytesIO()
    zipfile.ZipFile(buffer, "w").close()
    data = buffer.getvalue()
    assert verify_zip_stream(chunked(data, chunk_size)) == member_count(data) == 0


@pytest.mark.parametrize("chunk_size", [1, 7, 64 * 1024])
def test_an_archive_comment_of_the_declared_length_passes(chunk_size: int) -> None:
    data = build_zip(comment="Exportiert für Lucía".encode(), seekable=False)
    assert verify_zip_stream(chunked(data, chunk_size)) == member_count(data) == 4


def test_more_than_65535_members_pass_through_the_zip64_end_records() -> None:
    contents = {f"m{i}": b"" for i in range(65_600)}
    data = build_zip(contents, seekable=False)
    assert b"PK\x06\x06" in data[-200:]  # zipfile had to write the ZIP64 end records
    assert verify_zip_stream(chunked(data, 64 * 1024)) == member_count(data) == 65_600


def test_empty_chunks_are_ignored() -> None:
    verifier = ZipStreamVerifier()
    for chunk in chunked(build_zip(), 1000):
        verifier.feed(b"")
        verifier.feed(chunk)
    verifier.feed(b"")
    assert verifier.finish() == 4


@pytest.mark.parametrize("chunk_size", [1, 7, 4096])
def test_a_descriptor_signature_with_the_right_crc_and_size_inside_stored_data_is_skipped(
    chunk_size: int,
) -> None:
    before = b"some data"
    # A complete, matching descriptor inside the data, but no record follows it: not the end.
    lookalike = DD_SIG + struct.pack("<3I", zlib.crc32(before), len(before), len(before))
    data = build_zip({"tricky.bin": before + lookalike + b"more data" + DD_SIG}, seekable=False)
    assert verify_zip_stream(chunked(data, chunk_size)) == member_count(data) == 1


# A hand-made archive, for layouts zipfile does not write


@dataclass
class Raw:
    name: bytes
    data: bytes
    deflate: bool = False
    descriptor: str = ""  # "", or "signed"/"unsigned" + "32"/"64"
    wide_central: bool = False  # sizes and offset at 0xFFFFFFFF, in a ZIP64 extra field


def raw_zip(members: list[Raw], *, zip64_end: bool = False, drop_central: int = 0) -> bytes:
    """An archive of ``members``; the last ``drop_central`` entries left out of the directory
    (with the end record counting what is there)."""
    out, central = bytearray(), bytearray()
    for index, member in enumerate(members):
        offset, crc, usize = len(out), zlib.crc32(member.data), len(member.data)
        body = member.data
        if member.deflate:
            packer = zlib.compressobj(wbits=-15)
            body = packer.compress(member.data) + packer.flush()
        method, flags = (8 if member.deflate else 0), (8 if member.descriptor else 0)
        known = (0, 0, 0) if member.descriptor else (crc, len(body), usize)
        out += struct.pack("<4s5H3I", b"PK\x03\x04", 20, flags, method, 0, 0x5C21, *known)
        out += struct.pack("<2H", len(member.name), 0) + member.name + body
        if member.descriptor:
            form = "<IQQ" if member.descriptor.endswith("64") else "<3I"
            signed = DD_SIG if member.descriptor.startswith("signed") else b""
            out += signed + struct.pack(form, crc, len(body), usize)
        values, extra = (len(body), usize, offset), b""
        if member.wide_central:
            extra = struct.pack("<2H3Q", 1, 24, usize, len(body), offset)
            values = (0xFFFFFFFF,) * 3
        if index < len(members) - drop_central:
            central += struct.pack(
                "<4s6H3I5H2I", b"PK\x01\x02", 20, 45 if member.wide_central else 20, flags,
                method, 0, 0x5C21, crc, values[0], values[1], len(member.name), len(extra),
                0, 0, 0, 0, values[2],
            ) + member.name + extra  # fmt: skip
    count = len(members) - drop_central
    start, size = len(out), len(central)
    out += central
    if zip64_end:
        at = len(out)
        out += struct.pack("<4sQ2H2I4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, size, start)
        out += struct.pack("<4sIQI", b"PK\x06\x07", 0, at, 1)
        count, size, start = 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF
    out += struct.pack("<4s4H2IH", END_SIG, 0, 0, count, count, size, start, 0)
    return bytes(out)


TEXT = b'{"Date": "2026-01-01 12:00:00", "Link": "https://www.tiktokv.com/"}\n' * 300


@pytest.mark.parametrize("chunk_size", [1, 7, 4096])
@pytest.mark.parametrize("descriptor", ["signed32", "unsigned32", "signed64", "unsigned64"])
def test_deflate_with_any_form_of_data_descriptor_passes(descriptor: str, chunk_size: int) -> None:
    members = [Raw(b"a.json", TEXT, deflate=True, descriptor=descriptor), Raw(b"b", b"", True)]
    data = raw_zip(members)
    assert verify_zip_stream(chunked(data, chunk_size)) == member_count(data) == 2


def test_stored_data_with_a_descriptor_without_its_signature_is_rejected() -> None:
    members = [Raw(b"a.txt", TEXT, descriptor="unsigned32")]
    assert "incomplete" in error_of([raw_zip(members)])


@pytest.mark.parametrize("chunk_size", [1, 7, 4096])
def test_zip64_central_entries_and_end_records_pass(chunk_size: int) -> None:
    members = [
        Raw(b"a.txt", TEXT, wide_central=True),
        Raw(b"b", TEXT, deflate=True, descriptor="signed64", wide_central=True),
    ]
    data = raw_zip(members, zip64_end=True)
    assert verify_zip_stream(chunked(data, chunk_size)) == member_count(data) == 2


def test_a_central_directory_that_leaves_out_a_member_is_rejected() -> None:
    data = raw_zip([Raw(b"a", b"1"), Raw(b"b", b"2")], drop_central=1)
    assert "lists 1 members, the archive holds 2" in error_of([data])


# Rejected: not zips, incomplete, extended, corrupted


def test_an_empty_input_is_rejected() -> None:
    assert "empty" in error_of([])
    assert "empty" in error_of([b"", b""])


def test_bytes_that_are_not_a_zip_are_rejected_at_once() -> None:
    verifier = ZipStreamVerifier()
    with pytest.raises(ArchiveInvalidError):
        verifier.feed(b"<html>Service unavailable</html>")


def test_an_archive_cut_at_any_byte_is_rejected(small_zip: bytes) -> None:
    # The cuts land in every place: mid-header, mid-data, mid-directory, before the end record.
    for cut in range(len(small_zip)):
        with pytest.raises(ArchiveInvalidError):
            verify_zip_stream([small_zip[:cut]])


@pytest.mark.parametrize("extra", [b"\x00", b"PK\x05\x06", b"trailing garbage" * 100])
def test_bytes_appended_after_the_end_are_rejected(layout_zip: bytes, extra: bytes) -> None:
    assert "after the end" in error_of([layout_zip, extra])


def test_bytes_before_the_first_record_are_rejected(layout_zip: bytes) -> None:
    with pytest.raises(ArchiveInvalidError):
        verify_zip_stream([b"MZ" + layout_zip])


def test_one_flipped_byte_in_member_data_fails_the_crc() -> None:
    data = bytearray(build_zip(seekable=False))
    data[data.index(b"Gr\xc3\xbc\xc3\x9fe") + 2] ^= 0xFF
    assert "CRC-32" in error_of([bytes(data)])


def test_one_flipped_byte_in_deflated_data_is_rejected() -> None:
    data = bytearray(build_zip(compression=zipfile.ZIP_DEFLATED))
    data[len(data) // 3] ^= 0xFF  # inside data.bin's deflate data
    with pytest.raises(ArchiveInvalidError):
        verify_zip_stream([bytes(data)])


def unverifiable_offsets(data: bytes) -> set[int]:
    """Where a byte is written once and nothing repeats it, or where the two headers of a
    member may differ without harm (writers differ there): in each central directory entry the
    version made by and needed, the time and date, the internal and external attributes and
    the file comment; in each local header the version needed, time and date; then the
    archive comment."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    offsets, at = set(), archive.start_dir
    for member in archive.infolist():
        local = member.header_offset
        offsets |= {local + 4, local + 5, *range(local + 10, local + 14)}
        n, m, k = struct.unpack_from("<3H", data, at + 28)
        offsets |= {*range(at + 4, at + 8), *range(at + 12, at + 16), *range(at + 36, at + 42)}
        offsets |= set(range(at + 46 + n + m, at + 46 + n + m + k))
        at += 46 + n + m + k
    return offsets | set(range(len(data) - len(archive.comment), len(data)))


def test_one_flipped_byte_anywhere_it_is_checked_is_rejected(small_zip: bytes) -> None:
    missed = []
    for offset in sorted(set(range(len(small_zip))) - unverifiable_offsets(small_zip)):
        flipped = bytearray(small_zip)
        flipped[offset] ^= 0xFF
        try:
            verify_zip_stream([bytes(flipped)])
        except ArchiveInvalidError:
            continue
        missed.append(offset)
    assert missed == []


def end_record_at(data: bytes) -> int:
    return data.rindex(END_SIG)


def patched(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def test_a_central_directory_entry_whose_crc_differs_from_its_member_is_rejected() -> None:
    data = build_zip()
    start = zipfile.ZipFile(io.BytesIO(data)).start_dir
    assert "CRC-32" in error_of([patched(data, start + 16, "<I", 12345)])


def test_a_central_directory_entry_with_another_name_is_rejected() -> None:
    data = build_zip({"a.txt": b"x"}, seekable=False)
    start = zipfile.ZipFile(io.BytesIO(data)).start_dir
    assert "name" in error_of([patched(data, start + 46, "<B", ord("b"))])


def test_an_end_record_that_miscounts_the_entries_is_rejected() -> None:
    data = build_zip()
    assert "entries" in error_of([patched(data, end_record_at(data) + 10, "<H", 3)])


def test_an_end_record_with_the_wrong_directory_offset_is_rejected() -> None:
    data = build_zip()
    at = end_record_at(data) + 16
    assert "offset" in error_of(
        [patched(data, at, "<I", struct.unpack_from("<I", data, at)[0] - 1)]
    )


def test_an_end_record_with_the_wrong_directory_size_is_rejected() -> None:
    data = build_zip()
    at = end_record_at(data) + 12
    assert "size" in error_of([patched(data, at, "<I", struct.unpack_from("<I", data, at)[0] + 1)])


def test_an_encrypted_member_is_rejected_naming_encryption() -> None:
    data = patched(build_zip(), 6, "<H", 1)  # flag bit 0 of the first local header
    assert "encrypted" in error_of([data])


@pytest.mark.parametrize(
    ("compression", "name"), [(zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "LZMA")]
)
def test_another_compression_method_is_rejected_naming_it(compression: int, name: str) -> None:
    assert name in error_of([build_zip(compression=compression)])


def test_more_members_than_allowed_are_rejected() -> None:
    verifier = ZipStreamVerifier(max_members=3)
    with pytest.raises(ArchiveInvalidError, match="more than 3 members"):
        verifier.feed(build_zip())


def test_a_central_directory_larger_than_allowed_is_rejected() -> None:
    verifier = ZipStreamVerifier(max_central_directory=100)
    with pytest.raises(ArchiveInvalidError, match="over 100 bytes"):
        verifier.feed(build_zip())


def test_a_verifier_that_failed_keeps_failing() -> None:
    verifier = ZipStreamVerifier()
    with pytest.raises(ArchiveInvalidError):
        verifier.feed(b"not a zip at all")
    with pytest.raises(ArchiveInvalidError):
        verifier.feed(build_zip())
    with pytest.raises(ArchiveInvalidError):
        verifier.finish()


@pytest.mark.parametrize("chunk_size", CHUNK_SIZES)
def test_the_same_corruption_gives_the_same_error_whatever_the_chunk_size(chunk_size: int) -> None:
    data = bytearray(build_zip(seekable=False, compression=zipfile.ZIP_DEFLATED))
    data[len(data) // 2] ^= 0x55
    expected = error_of([bytes(data)])
    assert error_of(chunked(bytes(data), chunk_size)) == expected


# Bounded memory


def stored_stream(block: bytes, count: int) -> Iterator[bytes]:
    """A one-member stored archive of ``count`` times ``block``, streamed without holding it."""
    size, crc = len(block) * count, 0
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    header = struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 0, 0, 0x5C21, crc, size, size, 1, 0)
    yield header + b"a"
    yield from (block for _ in range(count))
    central = (
        struct.pack(
            "<4s6H3I5H2I",
            b"PK\x01\x02",
            20,
            20,
            0,
            0,
            0,
            0x5C21,
            crc,
            size,
            size,
            1,
            0,
            0,
            0,
            0,
            0,
            0,
        )
        + b"a"
    )
    end = struct.pack("<4s4H2IH", END_SIG, 0, 0, 1, 1, len(central), 31 + size, 0)
    yield central + end


def peak_memory_while(chunks: Iterator[bytes], *, max_ratio: int | None = MAX_RATIO) -> int:
    verifier = ZipStreamVerifier(max_ratio=max_ratio)
    tracemalloc.start()
    try:
        for chunk in chunks:
            verifier.feed(chunk)
        assert verifier.finish() == 1
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_small_while_a_large_stored_member_streams_past() -> None:
    block = pseudo_random(MiB)
    assert peak_memory_while(stored_stream(block, 256)) < 256 * 1024  # the archive: 256 MiB


def test_memory_stays_small_while_a_highly_compressed_member_inflates() -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = b"".join(packer.compress(bytes(MiB)) for _ in range(256)) + packer.flush()
    size, crc = 256 * MiB, 0
    for _ in range(256):
        crc = zlib.crc32(bytes(MiB), crc)
    header = struct.pack(
        "<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0x5C21, crc, len(body), size, 1, 0
    )
    central = struct.pack(
        "<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x5C21, crc, len(body), size, 1, 0,
        0, 0, 0, 0, 0,
    ) + b"z"  # fmt: skip
    start = len(header) + 1 + len(body)
    end = struct.pack("<4s4H2IH", END_SIG, 0, 0, 1, 1, len(central), start, 0)
    chunks = chunked(header + b"z" + body + central + end, 64 * 1024)
    # About a thousandfold: a bomb by the default limit, allowed here to measure memory alone.
    assert peak_memory_while(chunks, max_ratio=None) < 4 * MiB  # inflated: 256 MiB
