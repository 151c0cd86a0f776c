"""npm packages for the tests, installed from the npm registry once and reused by later runs.

The same approach as tests/support/s3.py takes for s3rver (npm install --prefix under var/), with
a folder per package and version, so that two packages, two versions or two test runs at the
same moment never install over each other.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from pathlib import Path

from tests.support.processes import ROOT

NPM_ROOT = ROOT / "var" / "test" / "npm"


def npm_package_file(name: str, version: str, relative_path: str) -> Path:
    """The file `relative_path` of the npm package `name` at exactly `version`, installing the
    package under var/test/npm/<name>@<version>/ first if that file is not there yet.

    Raises RuntimeError without npm, subprocess.CalledProcessError if the install fails, and
    FileNotFoundError if the installed package has no such file. Safe to call from concurrent
    test runs: an exclusive lock on the folder serialises their installs.
    """
    prefix = NPM_ROOT / f"{name}@{version}"
    wanted = prefix / "node_modules" / name / relative_path
    if wanted.is_file():
        return wanted
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(f"npm is needed to install {name} for the tests")
    prefix.mkdir(parents=True, exist_ok=True)
    with (prefix / ".install-lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        # Another run may have installed it while this one waited for the lock.
        if not wanted.is_file():
            subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts",
                 "--prefix", str(prefix), f"{name}@{version}"],
                check=True,
                capture_output=True,
                timeout=300,
            )  # fmt: skip
    if not wanted.is_file():
        raise FileNotFoundError(f"{name}@{version} has no {relative_path}")
    return wanted
