"""What the benchmark's processes share: where things are, and Django set up without a .env."""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Generated archives (kept between runs) and the file storage of the product runs.
VAR_BENCH = ROOT / "var" / "bench"
# Django's settings for a benchmark process: no .env, no database, a throwaway token key.
DJANGO_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "portability_site.settings",
    "DEBUG": "1",
    "DJANGO_READ_DOT_ENV": "0",
    "TOKEN_ENCRYPTION_KEYS": "dGVzdHMtb25seS10b2tlbi1rZXktMzItYnl0ZXMteHg=",
}


def setup_django() -> None:
    """Makes the project importable and sets Django up with DJANGO_ENVIRONMENT (which wins
    over the caller's environment; everything else, such as MEDIA_ROOT or AWS_*, is read from
    it as the site would)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.update(DJANGO_ENVIRONMENT)
    import django  # noqa: PLC0415 - only once the environment above is in place

    django.setup()


def say(line: str = "") -> None:
    """One line of the benchmark's report, on standard output, at once."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def note(line: str) -> None:
    """Progress, on standard error so that the report stays readable on its own."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


# Sizes: binary units throughout (the "100 MiB", "1 GiB", "4 GiB").
KIB, MIB, GIB = 2**10, 2**20, 2**30
UNITS = {"K": KIB, "M": MIB, "G": GIB}


def parse_size(text: str) -> int:
    """'100M', '1G', '4GiB', '512k' (binary units) or plain bytes."""
    token = text.strip().upper().removesuffix("B").removesuffix("I")
    if token[-1:] in UNITS:
        return int(float(token[:-1]) * UNITS[token[-1]])
    return int(token)


def size_name(size: int) -> str:
    """'100M', '1G': for file names."""
    for unit, factor in (("G", GIB), ("M", MIB)):
        if size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


def size_label(size: int) -> str:
    """'100 MiB', '1 GiB': for the report."""
    name = size_name(size)
    return f"{name[:-1]} {name[-1]}iB" if name[-1] in "MG" else f"{name} B"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def own_peak_rss_kib() -> int:
    """VmHWM: the peak RSS of this process since it started this program."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("/proc/self/status has no VmHWM")
