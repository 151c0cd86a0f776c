"""An S3 object read as a seekable file, by ranged GETs: what `zipfile` needs to read an
archive in place, without copying gigabytes to local disk first."""

from __future__ import annotations

import io
from typing import Any

# Each GET fetches this much: few enough requests for a big archive, little enough memory.
WINDOW = 8 * 1024 * 1024


class RangedS3Object(io.RawIOBase):
    """A read-only, seekable view of `s3://bucket/key`, `size` bytes long. Reads at most
    WINDOW bytes ahead of what was asked."""

    def __init__(self, client: Any, bucket: str, key: str) -> None:
        self._client, self._bucket, self._key = client, bucket, key
        self.size = int(client.head_object(Bucket=bucket, Key=key)["ContentLength"])
        self._position = 0
        self._window_start = 0
        self._window = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self.size - self._position)
        if wanted <= 0:
            return 0
        start = self._position - self._window_start
        if not (start >= 0 and start + wanted <= len(self._window)):
            self._fetch(self._position, max(wanted, WINDOW))
            start = 0
        chunk = self._window[start : start + wanted]
        buffer[: len(chunk)] = chunk
        self._position += len(chunk)
        return len(chunk)

    def _fetch(self, first: int, length: int) -> None:
        last = min(self.size, first + length) - 1
        answer = self._client.get_object(
            Bucket=self._bucket, Key=self._key, Range=f"bytes={first}-{last}"
        )
        self._window = answer["Body"].read()
        self._window_start = first
