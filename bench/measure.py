"""One measurement of one path: the server, the curl pipelines and the product's fetch path."""

from __future__ import annotations

import json
import os
import resource
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
from archives import BenchArchive
from common import DJANGO_ENVIRONMENT, KIB, MIB

BENCH = Path(__file__).resolve().parent
SAMPLE_INTERVAL = 0.05  # seconds between psutil samples of the fetching process
MEASURE_TIMEOUT = 3600  # seconds; a 4 GiB copy into moto takes minutes, not hours

WIRE = "curl > /dev/null"
BASELINE = "curl | sha256sum"
OPENSSL = "curl | openssl"
TO_FILE = "product → file"
TO_S3 = "product → S3"
PRODUCT_PATHS = (TO_FILE, TO_S3)


@dataclass(frozen=True)
class Run:
    """One measurement; `error` says why it does not count."""

    seconds: float = 0.0
    cpu_seconds: float | None = None
    peak_mib: float | None = None  # the process's own peak (VmHWM): what the targets judge
    ru_maxrss_mib: float | None = None  # getrusage's, which counts the parent's RSS too
    sampled_mib: float | None = None  # the largest of the parent's psutil samples
    error: str = ""


@contextmanager
def serving(path: Path) -> Iterator[str]:
    """bench/serve.py serving `path`, in its own process; yields a download URL."""
    process = subprocess.Popen(  # noqa: S603 - our own script, no shell
        [sys.executable, str(BENCH / "serve.py"), str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None  # noqa: S101 - for the type checker
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}/v2/user/data/download/"
    finally:
        process.terminate()
        process.wait(timeout=10)


def measure(path: str, url: str, archive: BenchArchive) -> Run:
    """One run of `path` (one of MEASURES); whatever goes wrong becomes the Run's error, so that
    the report is always printed."""
    try:
        return MEASURES[path](url, archive)
    except Exception as error:  # reported, and it fails the run
        return Run(error=f"{type(error).__name__}: {error}")


def measure_wire(url: str, archive: BenchArchive) -> Run:
    """`curl -s URL -o /dev/null`: how fast the bytes arrive when nothing is done with them."""
    run, stdout = shell_run(f"curl -s {shlex.quote(url)} -o /dev/null -w '%{{size_download}}'")
    if not run.error and stdout.strip() != str(archive.size):
        return Run(error=f"curl received {stdout.strip()} bytes, not {archive.size}")
    return run


def measure_baseline(url: str, archive: BenchArchive) -> Run:
    """`curl -s URL | sha256sum`, its hash checked."""
    return hashing_run(f"curl -s {shlex.quote(url)} | sha256sum", archive)


def measure_openssl(url: str, archive: BenchArchive) -> Run:
    """`curl -s URL | openssl dgst -sha256`, its hash checked."""
    return hashing_run(f"curl -s {shlex.quote(url)} | openssl dgst -sha256 -r", archive)


def hashing_run(command: str, archive: BenchArchive) -> Run:
    """`command`, which prints the archive's SHA-256 first."""
    run, stdout = shell_run(command)
    digest = (stdout.split() or [""])[0]
    if not run.error and digest != archive.sha256:
        return Run(error=f"{command} gave {digest}, not {archive.sha256}")
    return run


def shell_run(command: str) -> tuple[Run, str]:
    """`command` through bash (pipefail), timed from here, process starts included; its CPU
    seconds are those of every process in it. Returns the Run and the command's output."""
    cpu = children_cpu_seconds()
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - a fixed command line
        ["/bin/bash", "-o", "pipefail", "-c", command],
        capture_output=True,
        text=True,
        timeout=MEASURE_TIMEOUT,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        return Run(error=f"{command} exited with {done.returncode}: {done.stderr.strip()}"), ""
    return Run(seconds, cpu_seconds=children_cpu_seconds() - cpu), done.stdout


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure_file(url: str, archive: BenchArchive) -> Run:
    return measure_product(url, "file", archive, {})


def measure_s3(url: str, archive: BenchArchive) -> Run:
    """Into a fresh moto server, so that no run pays for the memory of the one before."""
    from tests.support.s3 import moto_s3  # noqa: PLC0415 - needs Django set up

    with moto_s3() as server:
        return measure_product(url, "s3", archive, server.environment())


def measure_product(url: str, storage: str, archive: BenchArchive, env: dict[str, str]) -> Run:
    """bench/fetch.py in its own process, its RSS sampled from here while it runs."""
    command = [sys.executable, str(BENCH / "fetch.py"), url, "--storage", storage]
    result, error, peak = run_sampled(command, child_environment(env))
    if error:
        return Run(error=f"fetch.py --storage {storage} {error}")
    return product_run(result, archive, peak)


def run_sampled(command: list[str], env: dict[str, str] | None = None) -> tuple[dict, str, int]:
    """Runs one of the benchmark's own scripts, its RSS sampled from here while it runs:
    (the JSON of its last line of output, "" or why it failed, the largest RSS sample)."""
    process = subprocess.Popen(  # noqa: S603 - our own script, no shell
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    with RssSampler(process.pid) as sampler:
        try:
            stdout, stderr = process.communicate(timeout=MEASURE_TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    if process.returncode != 0:
        last = (stderr.strip().splitlines() or ["no output"])[-1]
        return {}, f"exited with {process.returncode}: {last}", sampler.peak
    return json.loads(stdout.strip().splitlines()[-1]), "", sampler.peak


def product_run(result: dict[str, float | int | str], archive: BenchArchive, sampled: int) -> Run:
    """The Run that fetch.py's report describes, or an error if it stored other bytes."""
    if (result["sha256"], result["bytes"]) != (archive.sha256, archive.size):
        return Run(error=f"stored {result['bytes']} bytes with SHA-256 {result['sha256']}")
    return Run(
        seconds=float(result["seconds"]),
        cpu_seconds=float(result["cpu_seconds"]),
        peak_mib=int(result["peak_rss_kib"]) / KIB,
        ru_maxrss_mib=int(result["ru_maxrss_kib"]) / KIB,
        sampled_mib=sampled / MIB if sampled else None,
    )


def child_environment(env: dict[str, str]) -> dict[str, str]:
    """This environment with Django's settings for the benchmark and `env`, less any S3
    configuration or part size of the caller's (the product's default part size is measured)."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_") and name != "EXPORT_S3_PART_SIZE"
    }
    return inherited | DJANGO_ENVIRONMENT | env


class RssSampler:
    """The largest RSS of a process, sampled every SAMPLE_INTERVAL from a thread."""

    def __init__(self, pid: int) -> None:
        self.peak = 0
        self._process = psutil.Process(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self._process.memory_info().rss)
            except psutil.Error:
                return  # it has exited
            self._stop.wait(SAMPLE_INTERVAL)


# Every path, in the order they take turns.
MEASURES: dict[str, Callable[[str, BenchArchive], Run]] = {
    WIRE: measure_wire,
    BASELINE: measure_baseline,
    OPENSSL: measure_openssl,
    TO_FILE: measure_file,
    TO_S3: measure_s3,
}
