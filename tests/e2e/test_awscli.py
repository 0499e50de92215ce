"""The same cluster through aws-cli (``s3`` and ``s3api``), as an operator's scripts would use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from objectio.cli.aio import AllInOne

pytestmark = pytest.mark.e2e

AWS = str(Path(sys.executable).parent / "aws")


def aws(cluster: AllInOne, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID=cluster.credentials.access_key,
        AWS_SECRET_ACCESS_KEY=cluster.credentials.secret_key,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return subprocess.run(
        [AWS, "--endpoint-url", cluster.endpoint, *args],
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


def test_awscli_round_trip(cluster: AllInOne, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    files = {"a.txt": b"hello\n", "dir/b.bin": os.urandom(3 << 20), "dir/c.bin": os.urandom(40_000)}
    for name, data in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(data)
    aws(cluster, "s3", "mb", "s3://cli-bucket")
    aws(cluster, "s3", "cp", "--recursive", str(src), "s3://cli-bucket/up/")
    listing = aws(cluster, "s3", "ls", "--recursive", "s3://cli-bucket/").stdout
    for name in files:
        assert f"up/{name}" in listing
    dst = tmp_path / "dst"
    aws(cluster, "s3", "cp", "--recursive", "s3://cli-bucket/up/", str(dst))
    for name, data in files.items():
        assert (dst / name).read_bytes() == data
    head = json.loads(aws(cluster, "s3api", "head-object", "--bucket", "cli-bucket", "--key", "up/a.txt").stdout)
    assert head["ContentLength"] == len(files["a.txt"])
    missing = aws(
        cluster, "s3api", "get-object", "--bucket", "cli-bucket", "--key", "nope", str(tmp_path / "x"), check=False
    )
    assert missing.returncode != 0
    assert "NoSuchKey" in missing.stderr
    aws(cluster, "s3", "rm", "--recursive", "s3://cli-bucket/")
    aws(cluster, "s3", "rb", "s3://cli-bucket")
