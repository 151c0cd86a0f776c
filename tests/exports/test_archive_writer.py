"""The copy's second thread (exports.archive_store.BackgroundWriter): it hashes and writes what
the caller receives, never holds more than a few chunks, and hands its failures back."""

from __future__ import annotations

import hashlib
import threading

import pytest

from exports.archive_store import (
    WRITE_QUEUE_CHUNKS,
    ArchiveInvalidError,
    BackgroundWriter,
    archive_key,
    copy_archive,
    partial_path,
)
from tests.exports import factories
from tests.exports.factories import make_zip

archive_dirs = factories.archive_dirs


class RecordingSink:
    def __init__(self, fail_on_write: int | None = None) -> None:
        self.written: list[bytes] = []
        self.fail_on_write = fail_on_write
        self.gate = threading.Event()
        self.gate.set()

    def write(self, chunk: bytes) -> None:
        self.gate.wait(timeout=10)
        if self.fail_on_write is not None and len(self.written) == self.fail_on_write:
            raise OSError("No space left on device")
        self.written.append(chunk)

    def commit(self) -> None: ...
    def abort(self) -> None: ...


def chunks_of(data: bytes, size: int = 1024) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_what_is_written_and_hashed_is_every_chunk_in_order():
    sink = RecordingSink()
    writer = BackgroundWriter(sink)
    chunks = [bytes([n]) * 1000 for n in range(50)]

    for chunk in chunks:
        writer.put(chunk)
    digest = writer.finish()

    assert sink.written == chunks
    assert digest == hashlib.sha256(b"".join(chunks)).hexdigest()


def test_a_slow_sink_holds_the_receiver_back_after_a_few_chunks():
    sink = RecordingSink()
    sink.gate.clear()  # the sink stalls
    writer = BackgroundWriter(sink)
    queued = 0

    def receive() -> None:
        nonlocal queued
        for _ in range(WRITE_QUEUE_CHUNKS + 10):
            writer.put(b"x" * 1024)
            queued += 1

    receiver = threading.Thread(target=receive, daemon=True)
    receiver.start()
    receiver.join(timeout=1)

    # One chunk in the writer's hands, the queue full, the receiver waiting on the next.
    assert receiver.is_alive()
    assert queued == WRITE_QUEUE_CHUNKS + 1
    sink.gate.set()
    receiver.join(timeout=10)
    writer.finish()
    assert len(sink.written) == WRITE_QUEUE_CHUNKS + 10


def test_a_failing_write_reaches_the_caller_and_no_later_chunk_is_written():
    sink = RecordingSink(fail_on_write=3)
    writer = BackgroundWriter(sink)

    def send_everything() -> str:
        for _ in range(100):
            writer.put(b"y" * 1024)
        return writer.finish()

    with pytest.raises(OSError, match="No space left"):
        send_everything()

    writer.stop()
    assert len(sink.written) == 3


def test_stopping_drops_what_is_queued_and_ends_the_thread():
    sink = RecordingSink()
    sink.gate.clear()
    writer = BackgroundWriter(sink)
    for _ in range(WRITE_QUEUE_CHUNKS):
        writer.put(b"z")

    sink.gate.set()
    writer.stop()

    assert not writer._thread.is_alive()
    assert len(sink.written) <= 1


@pytest.mark.django_db
def test_a_copy_into_files_that_fails_to_write_leaves_nothing_behind(archive_dirs, monkeypatch):
    _spool, media = archive_dirs
    key = archive_key(1, "writer-fails")
    archive = make_zip(64 * 1024)
    writes = 0

    def failing_write(self, chunk: bytes) -> None:
        nonlocal writes
        writes += 1
        if writes == 5:
            raise OSError("No space left on device")
        self._file.write(chunk)

    monkeypatch.setattr("exports.archive_store.FileSink.write", failing_write)

    with pytest.raises(OSError, match="No space left"):
        copy_archive(chunks_of(archive), key, expected_size=len(archive))

    target = media / key
    assert not target.exists()
    assert not partial_path(target).exists()


@pytest.mark.django_db
def test_a_corrupt_archive_stops_the_writer_and_leaves_nothing_behind(archive_dirs):
    _spool, media = archive_dirs
    key = archive_key(1, "corrupt")
    archive = bytearray(make_zip(64 * 1024))
    archive[len(archive) // 2] ^= 0xFF

    with pytest.raises(ArchiveInvalidError):
        copy_archive(chunks_of(bytes(archive)), key, expected_size=len(archive))

    target = media / key
    assert not target.exists()
    assert not partial_path(target).exists()
    assert not [t for t in threading.enumerate() if t.name == "archive-writer"]
