"""Check a zip archive while it streams past: complete, intact, and consistent with itself.

``ZipStreamVerifier`` is fed the archive's bytes in order, in chunks of any size, and never
seeks or keeps member data. Record layouts follow PKWARE's APPNOTE.TXT ("APPNOTE 4.x").

What ``finish()`` proves: every member's data (inflated, for deflate) has the CRC-32 and sizes
its local header or data descriptor gives; every central directory entry repeats the local
header at its offset (name, version needed, flags, method, time, date, CRC-32, sizes); the end
records count those entries and point at the central directory where it was; only the archive
comment follows. Fields written once (the central directory's "version made by", attributes
and file comments, the archive comment, extra fields other than ZIP64, the padding bits after
a deflate stream) have nothing to be checked against: a change there goes unnoticed.

Supported: stored (0) and deflate (8) members, sizes in the local header or in a data
descriptor, ZIP64 throughout. Rejected: other methods, encryption, split archives, bytes before
the first record (self-extractors) or after the end, and stored members whose data descriptor
lacks its signature (see ``_scan``).
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["ArchiveInvalidError", "ZipStreamVerifier", "verify_zip_stream"]


class ArchiveInvalidError(Exception):
    """The bytes are not a complete, intact zip archive; the message says what is wrong."""


LOCAL_SIG = b"PK\x03\x04"
DESCRIPTOR_SIG = b"PK\x07\x08"
CENTRAL_SIG = b"PK\x01\x02"
ZIP64_END_SIG = b"PK\x06\x06"
ZIP64_LOCATOR_SIG = b"PK\x06\x07"
END_SIG = b"PK\x05\x06"
# What may follow a member: a data descriptor is only believed if one of these follows it.
_AFTER_MEMBER = frozenset({LOCAL_SIG, CENTRAL_SIG, ZIP64_END_SIG, END_SIG})

_LOCAL = struct.Struct("<4s5H3I2H")  # APPNOTE 4.3.7
_CENTRAL = struct.Struct("<4s6H3I5H2I")  # APPNOTE 4.3.12
_ZIP64_END = struct.Struct("<4sQ2H2I4Q")  # APPNOTE 4.3.14
_ZIP64_LOCATOR = struct.Struct("<4sIQI")  # APPNOTE 4.3.15
_END = struct.Struct("<4s4H2IH")  # APPNOTE 4.3.16
_DESCRIPTORS = (struct.Struct("<3I"), struct.Struct("<IQQ"))  # 4- or 8-byte sizes (4.3.9)
_DESCRIPTOR_SEARCH = re.compile(re.escape(DESCRIPTOR_SIG))
# A descriptor can be judged once its signature, its longest form and the next signature are in.
_DESCRIPTOR_WINDOW = 4 + 20 + 4

_MAX16, _MAX32 = 0xFFFF, 0xFFFFFFFF
_DESCRIPTOR_FLAG = 1 << 3
_REFUSED_FLAGS = {0: "is encrypted", 5: "holds patched data", 6: "uses strong encryption"}
_REFUSED_FLAGS[13] = "has masked header values"
_METHODS = {1: "shrink", 6: "implode", 9: "deflate64", 12: "bzip2", 14: "LZMA", 93: "Zstandard"}
_METHODS |= {95: "xz", 98: "PPMd", 99: "AES encryption"}
# Deflate goes in slices of this much input, inflating to at most this much per call: memory
# stays bounded whatever the compression ratio, in few enough calls to stay fast.
_INFLATE_IN, _INFLATE_OUT = 256 * 1024, 1024 * 1024
# Deflate shrinks data at most about a thousandfold, an export's JSON and text far less. A
# member that inflates to more than MAX_RATIO times the compressed bytes it was given (past its
# first _RATIO_FLOOR bytes) is a decompression bomb: memory stays bounded anyway, but checking
# it all would cost a CPU-second per GiB it claims, terabytes from a download of gigabytes.
MAX_RATIO = 200
_RATIO_FLOOR = 8 * 1024 * 1024
# Far more members than an export holds (tens), few enough that their metadata stays small.
MAX_MEMBERS = 100_000
# The ZIP64 end record's "extensible data sector" is reserved: anything big there is no zip.
_MAX_ZIP64_EXTENSIBLE = 64 * 1024

# A member as its local header and data showed it, for its central directory entry to repeat:
# name (as a digest, so that long names cost no memory), version needed, flags, method, time,
# date, CRC-32, compressed size, size.
_Member = tuple[bytes, int, int, int, int, int, int, int, int]
_FIELDS = ("name", "version needed", "flags", "method", "time", "date", "CRC-32")
_FIELDS += ("compressed size", "size")
_DECISIVE = frozenset({"name", "flags", "method", "CRC-32", "compressed size", "size"})
_READING_FLAGS = 0x0001 | 0x0800


def _show(name: bytes) -> str:
    return repr(name.decode("utf-8", "replace"))


def _name_key(name: bytes) -> bytes:
    return hashlib.blake2b(name, digest_size=16).digest()


class _Input:
    """The bytes fed and not yet consumed: a small carry-over, then the rest of the chunk.

    The carry only holds less than what one step needs (a header split across chunks, the
    undecided tail of a stored member), so it stays small; everything else is read from the
    caller's chunk in place.
    """

    def __init__(self) -> None:
        self._carry = bytearray()
        self._chunk: bytes = b""
        self._pos = 0
        self.offset = 0  # the archive offset of the next unconsumed byte

    def push(self, chunk: bytes) -> None:
        """Make ``chunk`` the bytes after everything fed before."""
        self.hold()
        self._chunk, self._pos = chunk, 0

    def hold(self) -> None:
        """Move what is left of the chunk into the carry: the caller may reuse its buffer."""
        if self._pos < len(self._chunk):
            self._carry += memoryview(self._chunk)[self._pos :]
        self._chunk, self._pos = b"", 0

    def window(self, n: int) -> tuple[bytes | bytearray, int, int] | None:
        """At least ``n`` contiguous unconsumed bytes as ``(buffer, start, end)``, not consumed.

        None if fewer than ``n`` are available; they then wait in the carry for the next chunk.
        """
        if not self._carry:
            if len(self._chunk) - self._pos >= n:
                return self._chunk, self._pos, len(self._chunk)
        else:
            # The carry joined with just enough of the chunk: a small copy, once per boundary.
            joint = self._carry + self._chunk[self._pos : self._pos + n]
            if len(joint) >= n:
                return joint, 0, len(joint)
        self.hold()
        return None

    def peek(self, n: int) -> bytes | None:
        """The next ``n`` bytes, not consumed, or None if they have not all arrived."""
        window = self.window(n)
        return None if window is None else bytes(window[0][window[1] : window[1] + n])

    def take(self, n: int) -> bytes | None:
        """The next ``n`` bytes, consumed, or None (nothing consumed) if not all arrived."""
        data = self.peek(n)
        if data is not None:
            self.skip(n)
        return data

    def piece(self, limit: int) -> bytes | memoryview:
        """Up to ``limit`` contiguous unconsumed bytes (empty when none are left), not consumed."""
        if self._carry:
            return bytes(self._carry[:limit])
        return memoryview(self._chunk)[self._pos : self._pos + limit]

    def skip(self, n: int) -> None:
        """Consume ``n`` bytes, which must have been available."""
        from_carry = min(n, len(self._carry))
        del self._carry[:from_carry]
        self._pos += n - from_carry
        self.offset += n


@dataclass(slots=True)
class _Reading:
    """The member whose data is passing: what its local header declared, and what was seen."""

    offset: int
    name: bytes
    version: int
    flags: int
    method: int
    time: int
    date: int
    crc: int
    csize: int
    usize: int
    seen_crc: int = 0
    seen_size: int = 0  # uncompressed bytes
    consumed: int = 0  # compressed bytes
    inflater: zlib._Decompress | None = None
    max_ratio: int = 0  # 0: no limit

    def stored(self, data: bytes | bytearray | memoryview) -> None:
        """Count ``data`` as the next bytes of a stored member."""
        self.seen_crc = zlib.crc32(data, self.seen_crc)
        self.seen_size += len(data)
        self.consumed += len(data)

    def inflate(self, data: bytes | memoryview) -> int:
        """Inflate the next compressed ``data``; returns how much of it the deflate stream used
        (less than all once it ends). Raises ArchiveInvalidError if it is not valid deflate."""
        inflater = self.inflater
        assert inflater is not None  # noqa: S101 - set for deflate members
        given = self.consumed + len(data)  # compressed bytes given so far, at most
        try:
            out = inflater.decompress(data, _INFLATE_OUT)
            self._inflated(out, given)
            # Once the stream has ended, zlib can leave the bytes after it in unconsumed_tail
            # as well as in unused_data: decompressing that tail again would never end (and
            # would append it to unused_data each time).
            while not inflater.eof and (inflater.unconsumed_tail or len(out) == _INFLATE_OUT):
                out = inflater.decompress(inflater.unconsumed_tail, _INFLATE_OUT)
                self._inflated(out, given)
        except zlib.error as error:
            message = f"the deflate data of member {_show(self.name)} is corrupt ({error})"
            raise ArchiveInvalidError(message) from None
        used = len(data) - len(inflater.unused_data)
        self.consumed += used
        return used

    def _inflated(self, out: bytes, given: int) -> None:
        """Count ``out`` as the next inflated bytes; stop at once when they are more than the
        local header declared, or a bomb's worth more than the compressed bytes ``given``."""
        self.seen_crc = zlib.crc32(out, self.seen_crc)
        self.seen_size += len(out)
        if not self.flags & _DESCRIPTOR_FLAG and self.seen_size > self.usize:
            raise ArchiveInvalidError(
                f"member {_show(self.name)} inflates to more than the {self.usize} bytes"
                " its local header gives"
            )
        if self.max_ratio and self.seen_size > max(_RATIO_FLOOR, self.max_ratio * given):
            raise ArchiveInvalidError(
                f"member {_show(self.name)} inflates to more than {self.max_ratio} times its"
                " compressed size"
            )

    @property
    def seen(self) -> tuple[int, int, int]:
        return self.seen_crc, self.consumed, self.seen_size


def _find_signature(buf: bytes | bytearray, start: int, end: int) -> int:
    """Where the first data descriptor signature within ``buf[start:end]`` starts, or -1."""
    # Members are mostly text, where byte 7 never occurs: one memchr clears the whole range.
    # Otherwise the regex engine's literal search beats bytes.find (about 3 GB/s against 2).
    if buf.find(b"\x07", start, end) < 0:
        return -1
    match = _DESCRIPTOR_SEARCH.search(buf, start, end)
    return -1 if match is None else match.start()


def _descriptor_at(
    buf: bytes | bytearray, at: int, sizes: tuple[int, int], *, signed: bool
) -> tuple[int, int] | None:
    """The CRC-32 and length of a data descriptor at ``buf[at:]`` that gives ``sizes``
    (compressed, uncompressed) and is followed by a record signature; else None. ``buf`` must
    hold ``_DESCRIPTOR_WINDOW`` bytes from ``at``.

    Both size widths are tried: APPNOTE ties 8-byte sizes to a ZIP64 local header, but some
    writers (Go's archive/zip) use them whenever the sizes need it, without one.
    """
    start = at + 4 if signed else at
    for form in _DESCRIPTORS:
        crc, *said = form.unpack_from(buf, start)
        end = start + form.size
        if tuple(said) == sizes and bytes(buf[end : end + 4]) in _AFTER_MEMBER:
            return crc, end - at
    return None


def _zip64_values(extra: bytes, values: list[int], limits: tuple[int, ...]) -> tuple[bool, list]:
    """``values`` with each one at its limit (0xFFFFFFFF; 0xFFFF for a disk number, 4 bytes
    there) replaced by the next value of the ZIP64 extra field in ``extra`` (APPNOTE 4.5.3);
    and whether there was such a field."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, pos)
        if tag == 1:
            if pos + 4 + size > len(extra):
                raise ArchiveInvalidError("a ZIP64 extra field runs past its header's extra data")
            field, read, resolved = extra[pos + 4 : pos + 4 + size], 0, list(values)
            for i, limit in enumerate(limits):
                width = 8 if limit == _MAX32 else 4
                if values[i] == limit:
                    if read + width > len(field):
                        raise ArchiveInvalidError("a ZIP64 extra field lacks a value it stands for")
                    resolved[i] = int.from_bytes(field[read : read + width], "little")
                    read += width
            return True, resolved
        pos += 4 + size
    return False, values


class ZipStreamVerifier:
    """Verifies a zip archive fed to it in order, in chunks of any size, in one pass.

    Memory does not depend on the archive's size: member data is never kept, only a window of
    at most one header, one member's running state, and the fixed-size metadata of each member
    until its central directory entry is checked. More than ``max_members`` members or a
    central directory over ``max_central_directory`` bytes is refused. So is, as soon as it
    shows, a deflate member that inflates past the size its local header gives, or to more
    than ``max_ratio`` times its compressed size (None: no limit); whether a member close to
    that ratio shows it can depend on the chunks. Other results (and error messages) do not
    depend on where the chunks are split.
    """

    def __init__(
        self,
        *,
        max_members: int = MAX_MEMBERS,
        max_central_directory: int = 256 * 1024 * 1024,
        max_ratio: int | None = MAX_RATIO,
    ) -> None:
        self._max_members = max_members
        self._max_ratio = max_ratio or 0
        self._max_central = max_central_directory
        self._in = _Input()
        self._state: Callable[[], bool] = self._record
        self._where = "before its first record"
        self._failure: ArchiveInvalidError | None = None
        # Why the scan for a stored member's data descriptor may not have ended (see _scan).
        self._suspect: str | None = None
        self._members: dict[int, _Member] = {}  # by offset, until their central entry is seen
        self._member_count = 0
        self._reading: _Reading | None = None
        self._central_start: int | None = None
        self._central_size = 0
        self._central_count = 0
        self._zip64_end_at: int | None = None

    def feed(self, chunk: bytes) -> None:
        """Takes the next bytes of the archive (any chunk size, including 1 byte or empty).

        Raises ArchiveInvalidError as soon as the bytes cannot belong to a valid zip; from then
        on every call raises it again.
        """
        self._raise_failure()
        if not chunk:
            return
        self._in.push(chunk)
        try:
            while self._state():
                pass
        except ArchiveInvalidError as error:
            self._failure = error
            raise
        self._in.hold()

    def finish(self) -> int:
        """Call after the last byte. Returns the number of members. Raises ArchiveInvalidError
        if the archive is incomplete or inconsistent."""
        self._raise_failure()
        if self._state != self._trailing:
            where = "is empty" if self._in.offset == 0 else f"ends {self._where}"
            message = self._suspect or f"the archive is incomplete: it {where}"
            self._failure = ArchiveInvalidError(message)
            raise self._failure
        return self._member_count

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise ArchiveInvalidError(str(self._failure))

    def _goto(self, state: Callable[[], bool], where: str) -> bool:
        self._state, self._where = state, where
        return True

    # The states: each returns whether it made progress (False: it needs more bytes).

    def _record(self) -> bool:
        sig = self._in.peek(4)
        if sig is None:
            return False
        at = self._in.offset
        if sig == LOCAL_SIG and self._central_start is None:
            return self._goto(self._local, f"in the local header at offset {at}")
        if sig == CENTRAL_SIG:
            self._central_start = at if self._central_start is None else self._central_start
            return self._goto(self._central, "in the central directory")
        if sig in (ZIP64_END_SIG, END_SIG):
            self._close_central_directory(at)
            end = self._zip64_end if sig == ZIP64_END_SIG else self._end
            return self._goto(end, "in the end of central directory records")
        raise ArchiveInvalidError(f"offset {at} holds {sig.hex()}, not a record that fits there")

    def _local(self) -> bool:
        fixed = self._in.peek(_LOCAL.size)
        if fixed is None:
            return False
        _sig, version, flags, method, time, date, crc, csize, usize, n, m = _LOCAL.unpack(fixed)
        self._check_supported(flags, method)
        offset, data = self._in.offset, self._in.take(_LOCAL.size + n + m)
        if data is None:
            return False
        name = data[_LOCAL.size : _LOCAL.size + n]
        # Sizes at 0xFFFFFFFF are in the ZIP64 field (zero there with a data descriptor).
        _, (usize, csize) = _zip64_values(data[_LOCAL.size + n :], [usize, csize], (_MAX32,) * 2)
        reading = _Reading(offset, name, version, flags, method, time, date, crc, csize, usize)
        reading.max_ratio = self._max_ratio
        self._reading, where = reading, f"in the data of member {_show(name)}"
        if method == 8:
            reading.inflater = zlib.decompressobj(-15)
            return self._goto(self._inflate, where)
        if flags & _DESCRIPTOR_FLAG:
            return self._goto(self._scan, where)
        if csize != usize:
            raise ArchiveInvalidError(f"stored member {_show(name)} has two different sizes")
        return self._goto(self._stored, where)

    def _check_supported(self, flags: int, method: int) -> None:
        where = f"member {self._member_count + 1} (offset {self._in.offset})"
        for bit, what in _REFUSED_FLAGS.items():
            if flags & (1 << bit):
                raise ArchiveInvalidError(f"{where} {what}, which is not supported")
        if method not in (0, 8):
            name = _METHODS.get(method, "unknown")
            raise ArchiveInvalidError(f"{where} uses compression method {method} ({name})")
        if self._member_count >= self._max_members:
            raise ArchiveInvalidError(f"the archive has more than {self._max_members} members")

    def _stored(self) -> bool:
        reading = self._current()
        left = reading.csize - reading.consumed
        if not left:
            return self._member_done()
        piece = self._in.piece(left)
        if not piece:
            return False
        reading.stored(piece)
        self._in.skip(len(piece))
        return True

    def _scan(self) -> bool:
        """Stored data whose end only its data descriptor marks. Each descriptor signature in it
        is a candidate, taken only if the CRC-32 and sizes after it are the data's so far and a
        record signature follows. A descriptor without its signature (APPNOTE 4.3.9.3 allows
        one) is not looked for: the scan runs on to the end, and the archive is incomplete."""
        window = self._in.window(_DESCRIPTOR_WINDOW)
        if window is None:
            return False
        buf, start, end = window
        reading = self._current()
        last = end - _DESCRIPTOR_WINDOW  # candidates starting later cannot be judged yet
        found = _find_signature(buf, start, last + 4)
        stop = last + 1 if found < 0 else found
        reading.stored(memoryview(buf)[start:stop])
        self._in.skip(stop - start)
        if found < 0:
            return True
        size = reading.seen_size
        descriptor = _descriptor_at(buf, found, (size, size), signed=True)
        if descriptor is not None and descriptor[0] == reading.seen_crc:
            self._in.skip(descriptor[1])
            return self._member_done()
        if descriptor is not None and self._suspect is None:
            # The sizes fit: most likely the descriptor, after corrupted data. Only the end
            # can tell, so this is the reason given if it comes first.
            self._suspect = self._crc_mismatch(descriptor[0])
        reading.stored(buf[found : found + 1])  # the signature's first byte is data
        self._in.skip(1)
        return True

    def _inflate(self) -> bool:
        reading = self._current()
        known = not reading.flags & _DESCRIPTOR_FLAG
        limit = min(_INFLATE_IN, reading.csize - reading.consumed) if known else _INFLATE_IN
        if limit == 0:
            raise ArchiveInvalidError(f"member {_show(reading.name)} goes past its size")
        piece = self._in.piece(limit)
        if not piece:
            return False
        self._in.skip(reading.inflate(piece))
        if reading.inflater is None or not reading.inflater.eof:
            return True
        if not known:
            return self._goto(self._descriptor, f"after the data of member {_show(reading.name)}")
        if reading.consumed != reading.csize:
            raise ArchiveInvalidError(f"member {_show(reading.name)} ends before its size")
        return self._member_done()

    def _descriptor(self) -> bool:
        """The data descriptor after deflate data, which ends by itself: with or without its
        signature (APPNOTE 4.3.9.3)."""
        window = self._in.window(_DESCRIPTOR_WINDOW)
        if window is None:
            return False
        buf, start, _ = window
        reading = self._current()
        sizes, descriptor = (reading.consumed, reading.seen_size), None
        if buf[start : start + 4] == DESCRIPTOR_SIG:
            descriptor = _descriptor_at(buf, start, sizes, signed=True)
        descriptor = descriptor or _descriptor_at(buf, start, sizes, signed=False)
        if descriptor is None:
            name = _show(reading.name)
            raise ArchiveInvalidError(f"the data descriptor of {name} does not give its sizes")
        if descriptor[0] != reading.seen_crc:
            raise ArchiveInvalidError(self._crc_mismatch(descriptor[0]))
        self._in.skip(descriptor[1])
        return self._member_done()

    def _crc_mismatch(self, said: int) -> str:
        reading = self._current()
        return (
            f"member {_show(reading.name)} is corrupt: its data has CRC-32"
            f" {reading.seen_crc:08x}, its data descriptor says {said:08x}"
        )

    def _member_done(self) -> bool:
        reading = self._current()
        seen, declared = reading.seen, (reading.crc, reading.csize, reading.usize)
        # With a data descriptor the local header's values are zero (APPNOTE 4.4.4); some
        # writers put the real ones there instead, which is as good.
        descriptor = reading.flags & _DESCRIPTOR_FLAG
        for label, saw, said in zip(_FIELDS[6:], seen, declared, strict=True):
            if said != saw and not (descriptor and said == 0):
                raise ArchiveInvalidError(
                    f"member {_show(reading.name)} is corrupt: its data has {label} {saw},"
                    f" its local header says {said}"
                )
        self._members[reading.offset] = (
            _name_key(reading.name), reading.version, reading.flags, reading.method, reading.time,
            reading.date, *seen,
        )  # fmt: skip
        self._member_count += 1
        self._reading = self._suspect = None
        return self._goto(self._record, f"after member {_show(reading.name)}")

    def _current(self) -> _Reading:
        assert self._reading is not None  # noqa: S101 - set by the states that lead here
        return self._reading

    def _central(self) -> bool:
        fixed = self._in.peek(_CENTRAL.size)
        if fixed is None:
            return False
        (_sig, _made, version, flags, method, time, date, crc, csize, usize, n, m, k, disk,
         _internal, _external, offset) = _CENTRAL.unpack(fixed)  # fmt: skip
        size = _CENTRAL.size + n + m + k
        if self._in.offset + size - (self._central_start or 0) > self._max_central:
            raise ArchiveInvalidError(f"the central directory is over {self._max_central} bytes")
        data = self._in.take(size)
        if data is None:
            return False
        name, extra = data[_CENTRAL.size :][:n], data[_CENTRAL.size + n :][:m]
        values, limits = [usize, csize, offset, disk], (_MAX32, _MAX32, _MAX32, _MAX16)
        _wide, (usize, csize, offset, disk) = _zip64_values(extra, values, limits)
        if disk != 0:
            raise ArchiveInvalidError(f"the central directory puts {_show(name)} on disk {disk}")
        member = self._members.pop(offset, None)
        if member is None:
            raise ArchiveInvalidError(f"the directory entry of {_show(name)} points at no member")
        entry = (_name_key(name), version, flags, method, time, date, crc, csize, usize)
        self._compare(entry, member, name)
        self._central_count += 1
        return self._goto(self._record, "in the central directory")

    @staticmethod
    def _compare(entry: _Member, member: _Member, name: bytes) -> None:
        for label, said, saw in zip(_FIELDS, entry, member, strict=True):
            # Only what decides the bytes a reader gets must agree. Writers differ in the rest
            # (version needed, flags, times) between the two headers without harm, and an
            # archive TikTok made must not be refused over them.
            if label not in _DECISIVE:
                continue
            if label == "flags":  # of the flags, only these change how a member reads
                differ = said & _READING_FLAGS != saw & _READING_FLAGS
            else:
                differ = said != saw
            if differ and label == "name":
                raise ArchiveInvalidError(
                    f"the central directory entry {_show(name)} names another member than"
                    " the local header it points at"
                )
            if differ:
                raise ArchiveInvalidError(
                    f"the central directory entry of {_show(name)} gives {label} {said},"
                    f" its local header {saw}"
                )

    def _close_central_directory(self, at: int) -> None:
        if self._central_start is None:
            self._central_start = at  # no entries: the directory is empty, here
        self._central_size = at - self._central_start
        if self._central_count != self._member_count:
            raise ArchiveInvalidError(
                f"the central directory lists {self._central_count} members,"
                f" the archive holds {self._member_count}"
            )

    def _check_end(self, record: str, values: list[int], *, wide: bool) -> None:
        """Check an end record's disks, entry counts, directory size and offset (in that order).
        A ZIP64 end record holds them all; the classic one may hold the maximum instead."""
        count, size, start = self._central_count, self._central_size, self._central_start
        labels = ("disk number", "directory disk", "entries on disk", "entries", "directory size")
        actual = (0, 0, count, count, size, start)
        limits = (_MAX16, _MAX16, _MAX16, _MAX16, _MAX32, _MAX32)
        for label, said, saw, limit in zip(
            (*labels, "directory offset"), values, actual, limits, strict=True
        ):
            if said != saw and (wide or self._zip64_end_at is None or said != limit):
                raise ArchiveInvalidError(f"the {record} gives {label} {said}, but it is {saw}")

    def _zip64_end(self) -> bool:
        fixed = self._in.peek(_ZIP64_END.size)
        if fixed is None:
            return False
        _sig, size, _made, _needed, *values = _ZIP64_END.unpack(fixed)
        self._check_end("ZIP64 end of central directory record", values, wide=True)
        total = 12 + size  # the size counts what follows its own field
        if not _ZIP64_END.size <= total <= _ZIP64_END.size + _MAX_ZIP64_EXTENSIBLE:
            raise ArchiveInvalidError(f"the ZIP64 end record gives an impossible size {size}")
        self._zip64_end_at = self._in.offset
        if self._in.take(total) is None:
            return False
        return self._goto(self._zip64_locator, "before the ZIP64 end of central directory locator")

    def _zip64_locator(self) -> bool:
        data = self._in.take(_ZIP64_LOCATOR.size)
        if data is None:
            return False
        sig, disk, offset, disks = _ZIP64_LOCATOR.unpack(data)
        if sig != ZIP64_LOCATOR_SIG:
            raise ArchiveInvalidError("the ZIP64 end record is not followed by its locator")
        if (disk, offset) != (0, self._zip64_end_at) or disks > 1:
            raise ArchiveInvalidError("the ZIP64 end locator does not point at its record")
        return self._goto(self._end, "before the end of central directory record")

    def _end(self) -> bool:
        fixed = self._in.peek(_END.size)
        if fixed is None:
            return False
        sig, *values, comment = _END.unpack(fixed)
        if sig != END_SIG:
            raise ArchiveInvalidError("the ZIP64 end records are not followed by the end record")
        self._check_end("end of central directory record", values, wide=False)
        if self._in.take(_END.size + comment) is None:
            return False
        return self._goto(self._trailing, "after the end")

    def _trailing(self) -> bool:
        if self._in.piece(1):
            raise ArchiveInvalidError("there are bytes after the end of the archive")
        return False


def verify_zip_stream(chunks: Iterable[bytes]) -> int:
    """Verify the zip archive made of ``chunks``; returns its number of members. Raises
    ArchiveInvalidError if it is not a complete, intact zip."""
    verifier = ZipStreamVerifier()
    for chunk in chunks:
        verifier.feed(chunk)
    return verifier.finish()
