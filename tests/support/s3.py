"""Real S3 servers for tests, started on this machine: moto's server mode (S3 semantics,
multipart uploads, checksums) and s3rver from npm (which enforces presigned-URL expiry)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.config

from tests.support.processes import ROOT, free_port, wait_for_http

NODE_PREFIX = ROOT / "var" / "test" / "node"
S3RVER_VERSION = "3.7.1"


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    bucket: str
    access_key: str
    secret_key: str
    checksums: str = "when_supported"

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=self._config(),
        )

    def storage_settings(self) -> dict[str, Any]:
        """STORAGES["default"] as portability_site.settings builds it from the AWS_* variables."""
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": self.bucket,
                "endpoint_url": self.endpoint,
                "region_name": "us-east-1",
                "access_key": self.access_key,
                "secret_key": self.secret_key,
                "default_acl": None,
                "file_overwrite": True,
                "querystring_expire": 300,
                "client_config": self._config(),
            },
        }

    def environment(self) -> dict[str, str]:
        """The same configuration as environment variables, for processes the tests start."""
        return {
            "AWS_STORAGE_BUCKET_NAME": self.bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_S3_ADDRESSING_STYLE": "path",
            "AWS_REQUEST_CHECKSUM_CALCULATION": self.checksums,
            "AWS_RESPONSE_CHECKSUM_VALIDATION": self.checksums,
        }

    def _config(self) -> botocore.config.Config:
        return botocore.config.Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            request_checksum_calculation=self.checksums,
            response_checksum_validation=self.checksums,
        )


@contextmanager
def moto_s3(bucket: str = "exports") -> Iterator[S3Server]:
    """moto's S3 in server mode, in its own process, with `bucket` created."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        server = S3Server(f"http://127.0.0.1:{port}", bucket, "testing", "testing")
        wait_for_http(server.endpoint)
        server.client().create_bucket(Bucket=bucket)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


def install_s3rver() -> Path:
    """s3rver from the npm registry, installed once under var/test/node."""
    script = NODE_PREFIX / "node_modules" / "s3rver" / "bin" / "s3rver.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed to install s3rver for the tests")
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(NODE_PREFIX),
             f"s3rver@{S3RVER_VERSION}"],
            check=True,
            capture_output=True,
            timeout=300,
        )  # fmt: skip
    return script


@contextmanager
def s3rver(data_dir: Path, bucket: str = "exports") -> Iterator[S3Server]:
    """s3rver in its own node process. It accepts only unsigned, SHA-256-signed or
    aws-chunked-signed payloads, so boto3's newer default checksums are turned off for it."""
    script = install_s3rver()
    port = free_port()
    process = subprocess.Popen(
        [shutil.which("node") or "node", str(script), "--directory", str(data_dir),
         "--address", "127.0.0.1", "--port", str(port), "--configure-bucket", bucket,
         "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        server = S3Server(
            f"http://127.0.0.1:{port}", bucket, "S3RVER", "S3RVER", checksums="when_required"
        )
        wait_for_http(server.endpoint)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)
