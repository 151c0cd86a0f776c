"""The benchmarks of `make bench`: the archive copy, the reader of stored exports, the explorer.

The copy is held against curl | sha256sum, the reader against plain ijson and text loops over
the same archive (bench/reader.py).

    python bench/run.py [--only copy|reader|explorer] [--sizes 100M,1G] [--with-4gib]
                        [--repeat N] [--reader-sizes 100M,2G]

The copy benchmark: for each size it generates an archive once with the sandbox's generator
(kept in var/bench/), serves it from bench/serve.py over real HTTP on 127.0.0.1 and, in the
same run, measures:

- ``curl -s URL -o /dev/null``: the wire alone, for reference;
- ``curl -s URL | sha256sum``: copying and hashing with C tools, the baseline;
- ``curl -s URL | openssl dgst -sha256``: the same with OpenSSL's SHA-256 (the one Python's
  hashlib uses), for reference: coreutils' sha256sum may not use the CPU's SHA instructions;
- the product's fetch path (bench/fetch.py, one process per measurement) into file storage;
- the same into S3: a moto server process, a fresh one per measurement.

Prints seconds, CPU seconds, MB/s (10^6 bytes per second), the ratio product/baseline and the
fetching process's peak RSS (its VmHWM, the getrusage ru_maxrss it reports, and the largest of
the parent's 50 ms psutil samples), then one PASS/FAIL line per target. With --repeat N: the
fastest of N for speed (and its CPU seconds), the largest of N for RSS.

The reader benchmark: for each uncompressed size of --reader-sizes (default 100 MiB and 2 GiB)
and each format (JSON Gen C, English text), the reader's records per second and peak RSS
against the baselines over the same archive; see bench/reader.py. --repeat applies to it too.

The explorer benchmark: p50 and p95 of the explorer's pages and searches over one export of
1.45 M records in a database of its own, made afresh each run; see bench/explorer.py.
--repeat does not apply to it.

Exits 0 if every target of the benchmarks run is met, 1 otherwise.
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
from explorer import prepare_environment, run_explorer_bench
from measure import MEASURES, measure, serving
from reader import DEFAULT_SIZES, run_reader_bench
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
    parser.add_argument(
        "--sizes", default="100M,1G", help="copy sizes, comma-separated (default 100M,1G)"
    )
    parser.add_argument("--with-4gib", action="store_true", help="add a 4 GiB archive")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each path and loop (default 1)"
    )
    parser.add_argument(
        "--only",
        choices=("copy", "reader", "explorer"),
        help="run one benchmark (default: all three)",
    )
    parser.add_argument(
        "--reader-sizes",
        default=DEFAULT_SIZES,
        help=f"uncompressed sizes for the reader, comma-separated (default {DEFAULT_SIZES})",
    )
    args = parser.parse_args()
    args.sizes = parse_sizes(args.sizes)
    if args.with_4gib and 4 * GIB not in args.sizes:
        args.sizes.append(4 * GIB)
    args.reader_sizes = parse_sizes(args.reader_sizes)
    if not args.sizes or not args.reader_sizes or args.repeat < 1:
        parser.error("give at least one size and --repeat 1 or more")
    return args


def parse_sizes(text: str) -> list[int]:
    return sorted({parse_size(size) for size in text.split(",") if size.strip()})


def print_header(args: argparse.Namespace) -> None:
    say(f"archive copy benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    say(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs,"
        f" {psutil.virtual_memory().total / GIB:.1f} GiB RAM; {args.repeat} run(s) of each path"
    )


def run_copy_bench(args: argparse.Namespace) -> bool:
    """The whole copy benchmark, report included; returns whether every target is met."""
    print_header(args)
    rows = [row for size in args.sizes for row in measure_size(size, args.repeat)]
    print_table(rows)
    found = verdicts(rows, args.sizes)
    print_verdicts(found)
    return all(verdict.passed for verdict in found)


def main() -> int:
    args = parse_args()
    if args.only in (None, "explorer"):
        prepare_environment()  # its database and cache, read when Django is set up
    setup_django()
    passed = True
    if args.only in (None, "copy"):
        passed = run_copy_bench(args)
    if args.only is None:
        say()
    if args.only in (None, "reader"):
        passed = run_reader_bench(args.reader_sizes, args.repeat) and passed
    if args.only is None:
        say()
    if args.only in (None, "explorer"):
        passed = run_explorer_bench() and passed
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
