"""A stand-in for TikTok's download endpoint: one file, served over HTTP on 127.0.0.1.

    python bench/serve.py PATH [--port N]

Answers GET and POST on any path with the file (200, application/zip, Content-Length), the
body sent with sendfile(2) so that the server costs next to nothing and the client is what is
measured. Prints the port it listens on as its first line of output, then serves until it is
terminated. Only the standard library: it needs neither Django nor the project.
"""

from __future__ import annotations

import argparse
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# Reads of a request body that is thrown away (TikTok's Download takes a small JSON body).
_DISCARD_CHUNK = 64 * 1024


class ArchiveServer(ThreadingHTTPServer):
    """A threaded HTTP server that answers every request with the same file."""

    daemon_threads = True

    def __init__(self, port: int, archive: Path) -> None:
        self.archive = archive
        super().__init__(("127.0.0.1", port), ArchiveHandler)


class ArchiveHandler(BaseHTTPRequestHandler):
    """GET or POST anything: the archive."""

    protocol_version = "HTTP/1.1"
    server: ArchiveServer

    def do_GET(self) -> None:
        self._send_archive()

    def do_POST(self) -> None:
        self._discard_body()
        self._send_archive()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        """Silent: one line per request would only add noise to the benchmark's output."""

    def _discard_body(self) -> None:
        left = int(self.headers.get("Content-Length") or 0)
        while left > 0:
            data = self.rfile.read(min(left, _DISCARD_CHUNK))
            if not data:
                return
            left -= len(data)

    def _send_archive(self) -> None:
        with self.server.archive.open("rb") as file:
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(os.fstat(file.fileno()).st_size))
            self.end_headers()
            try:
                self.connection.sendfile(file)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client went away; nothing to report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="the file to serve")
    parser.add_argument("--port", type=int, default=0, help="0 (default): any free port")
    args = parser.parse_args()
    if not args.path.is_file():
        parser.error(f"{args.path} is not a file")
    with ArchiveServer(args.port, args.path) as server:
        sys.stdout.write(f"{server.server_address[1]}\n")
        sys.stdout.flush()
        server.serve_forever()


if __name__ == "__main__":
    main()
