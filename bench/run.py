"""The archive copy benchmark (`make bench`): the product's fetch path against curl | sha256sum.

    python bench/run.py [--sizes 100M,1G] [--with-4gib] [--repeat N]

For each size it generates an archive once with the sandbox's generator (kept in var/bench/),
serves it from bench/serve.py over real HTTP on 127.0.0.1 and, in the same run, measures:

- ``curl -s URL -o /dev/null``: the wire alone, for reference;
- ``curl -s URL | sha256sum``: copying and hashing with C tools, the baseline;
- ``curl -s URL | openssl dgst -sha256``: the same with OpenSSL's SHA-256 (the one Python's
  hashlib uses), for reference: coreutils' sha256sum may not use the CPU's SHA instructions;
- the product's fetch path (bench/fetch.py, one process per measurement) into file storage;
- the same into S3: a moto server process, a fresh one per measurement.

Prints seconds, CPU seconds, MB/s (10^6 bytes per second), the ratio product/baseline and the
fetching process's peak RSS (its VmHWM, the getrusage ru_maxrss it reports, and the largest of
the parent's 50 ms psutil samples), then one PASS/FAIL line per target. With --repeat N: the
fastest of N for speed (and its CPU seconds), the largest of N for RSS. Exits 0 if every
target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from datetime import UTC, datetime

import psutil
from archives import ensure_archive
from common import GIB, note, parse_size, say, setup_django, size_label
from measure import MEASURES, measure, serving
from report import Row, print_table, print_verdicts, verdicts


def measure_size(size: int, repeat: int) -> list[Row]:
    """Every path at one size, `repeat` times, the paths taking turns."""
    archive = ensure_archive(size)
    say(f"archive {size_label(size)}: var/bench/{archive.path.name}, {archive.size} bytes,")
    say(f"  sha256 {archive.sha256}")
    rows = {path: Row(size, path, archive.size) for path in MEASURES}
    with serving(archive.path) as url:
        for attempt in range(1, repeat + 1):
            for path, row in rows.items():
                note(f"  {size_label(size)}, {path}: run {attempt} of {repeat}")
                run = measure(path, url, archive)
                note(f"    {run.error or f'{run.seconds:.2f} s'}")
                row.runs.append(run)
    return list(rows.values())


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100M,1G", help="comma-separated (default 100M,1G)")
    parser.add_argument("--with-4gib", action="store_true", help="add a 4 GiB archive")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each path (default 1)")
    args = parser.parse_args()
    args.sizes = sorted({parse_size(size) for size in args.sizes.split(",") if size.strip()})
    if args.with_4gib and 4 * GIB not in args.sizes:
        args.sizes.append(4 * GIB)
    if not args.sizes or args.repeat < 1:
        parser.error("give at least one size and --repeat 1 or more")
    return args


def print_header(args: argparse.Namespace) -> None:
    say(f"archive copy benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    say(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs,"
        f" {psutil.virtual_memory().total / GIB:.1f} GiB RAM; {args.repeat} run(s) of each path"
    )


def main() -> int:
    args = parse_args()
    setup_django()
    print_header(args)
    rows = [row for size in args.sizes for row in measure_size(size, args.repeat)]
    print_table(rows)
    found = verdicts(rows, args.sizes)
    print_verdicts(found)
    return 0 if all(verdict.passed for verdict in found) else 1


if __name__ == "__main__":
    sys.exit(main())
