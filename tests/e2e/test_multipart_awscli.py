"""aws-cli's high-level ``s3 cp`` switches to multipart uploads (and ranged parallel downloads)
above 8 MiB: a 20 MiB file goes up as three parts and comes back byte-exact."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from objectio.cli.aio import AllInOne
from tests.e2e.test_awscli import aws

pytestmark = pytest.mark.e2e


def test_awscli_cp_of_a_20_mib_file(cluster: AllInOne, tmp_path: Path) -> None:
    data = random.Random(20).randbytes(20 << 20)
    src, dst = tmp_path / "up.bin", tmp_path / "down.bin"
    src.write_bytes(data)
    aws(cluster, "s3", "mb", "s3://cli-mpu")
    aws(cluster, "s3", "cp", str(src), "s3://cli-mpu/big.bin")
    head = json.loads(aws(cluster, "s3api", "head-object", "--bucket", "cli-mpu", "--key", "big.bin").stdout)
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-3"')  # 8 MiB parts: 8 + 8 + 4
    aws(cluster, "s3", "cp", "s3://cli-mpu/big.bin", str(dst))
    assert dst.read_bytes() == data
    uploads = aws(cluster, "s3api", "list-multipart-uploads", "--bucket", "cli-mpu").stdout
    assert "Uploads" not in (json.loads(uploads) if uploads.strip() else {})
