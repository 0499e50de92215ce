"""rclone against the all-in-one cluster: make a bucket, put and server-side copy small and large
(multipart) files, list, sync a tree with nested prefixes and verify it byte for byte, get it
back, delete and remove the bucket. Configured through a temporary config file only."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from objectio.cli.aio import AllInOne
from tests.e2e.client_tools import LARGE_BYTES, TREE, clean_env, make_tree, require, run, same_tree
from tests.e2e.raw_http import gateway_problems

pytestmark = pytest.mark.e2e

PART_OPTIONS = ["--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M", "--s3-copy-cutoff", "5M"]


class Rclone:
    def __init__(self, cluster: AllInOne, home: Path) -> None:
        self.binary = require("rclone")
        self.config = home / "rclone.conf"
        self.config.write_text(
            "[oio]\ntype = s3\nprovider = Other\nenv_auth = false\n"
            f"access_key_id = {cluster.credentials.access_key}\n"
            f"secret_access_key = {cluster.credentials.secret_key}\n"
            f"endpoint = {cluster.endpoint}\nregion = us-east-1\nforce_path_style = true\n"
        )
        self.home = home
        self.env = clean_env(home)

    def __call__(self, *args: str, check: bool = True) -> str:
        argv = [self.binary, "--config", str(self.config), "--cache-dir", str(self.home / "cache"),
                "--retries", "1", "--low-level-retries", "1", *args]  # fmt: skip
        return run(argv, self.env, check=check).stdout


def test_rclone_round_trip(cluster: AllInOne, s3: Any, tmp_path: Path) -> None:
    rclone = Rclone(cluster, tmp_path)
    problems = gateway_problems(cluster)
    bucket = f"rclone-{uuid.uuid4().hex[:10]}"
    src = make_tree(tmp_path / "src")
    rclone("mkdir", f"oio:{bucket}")
    assert bucket in rclone("lsd", "oio:")

    rclone("copyto", str(src / "small.bin"), f"oio:{bucket}/single/small.bin")
    rclone("copyto", *PART_OPTIONS, str(src / "a/large.bin"), f"oio:{bucket}/single/large.bin")
    assert s3.head_object(Bucket=bucket, Key="single/large.bin")["ETag"].endswith('-3"')  # three parts
    rclone("copyto", f"oio:{bucket}/single/small.bin", f"oio:{bucket}/copies/small.bin")  # CopyObject
    rclone("copyto", *PART_OPTIONS, f"oio:{bucket}/single/large.bin", f"oio:{bucket}/copies/large.bin")  # part copies
    assert s3.head_object(Bucket=bucket, Key="copies/large.bin")["ETag"].endswith('-3"')
    listing = rclone("ls", f"oio:{bucket}")
    for name, size in (
        ("single/small.bin", 1000),
        ("single/large.bin", LARGE_BYTES),
        ("copies/large.bin", LARGE_BYTES),
    ):
        assert f"{size} {name}" in " ".join(listing.split()), listing

    rclone("sync", *PART_OPTIONS, str(src), f"oio:{bucket}/tree")
    rclone("check", str(src), f"oio:{bucket}/tree")  # sizes and MD5s
    rclone("check", "--download", str(src), f"oio:{bucket}/tree")  # byte for byte, not only MD5s
    assert set(rclone("lsf", "-R", "--files-only", f"oio:{bucket}/tree").split("\n")) - {""} == set(TREE)
    dst = tmp_path / "dst"
    rclone("copy", f"oio:{bucket}/tree", str(dst))
    assert same_tree(src, dst) == []
    got = tmp_path / "got.bin"
    rclone("copyto", f"oio:{bucket}/copies/large.bin", str(got))
    assert got.read_bytes() == (src / "a/large.bin").read_bytes()

    (src / "d/x.txt").unlink()
    (src / "a/b/c/deep.txt").write_bytes(b"changed")
    rclone("sync", str(src), f"oio:{bucket}/tree")  # deletes and updates remotely
    rclone("check", "--download", str(src), f"oio:{bucket}/tree")
    rclone("deletefile", f"oio:{bucket}/single/small.bin")
    assert "single/small.bin" not in rclone("lsf", "-R", f"oio:{bucket}")

    rclone("purge", f"oio:{bucket}")  # every object, then the bucket
    assert bucket not in rclone("lsd", "oio:")
    assert gateway_problems(cluster) == problems
