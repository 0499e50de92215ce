"""s3cmd against the all-in-one cluster: mb, put of small and multipart files, ls, server-side cp
and mv, info, setacl (private), CORS through setcors/info/delcors, sync of a tree with nested
prefixes both ways verified byte for byte, get, del, rb. Configured by a temporary file only.

s3cmd reuses connections without checking them: it is also the regression test for answers that
left the request body unread (the next request on the connection failed; s3cmd waited 3 s)."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from objectio.cli.aio import AllInOne
from tests.e2e.client_tools import LARGE_BYTES, clean_env, make_tree, require, run, same_tree
from tests.e2e.raw_http import gateway_problems

pytestmark = pytest.mark.e2e

CORS_XML = (
    "<CORSConfiguration><CORSRule><AllowedOrigin>https://app.test</AllowedOrigin>"
    "<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"
)


class S3cmd:
    def __init__(self, cluster: AllInOne, home: Path) -> None:
        self.binary = require("s3cmd")
        host = urlsplit(cluster.endpoint).netloc
        self.config = home / "s3cfg"
        self.config.write_text(
            "[default]\n"
            f"access_key = {cluster.credentials.access_key}\nsecret_key = {cluster.credentials.secret_key}\n"
            f"host_base = {host}\nhost_bucket = {host}\nuse_https = False\nsignature_v2 = False\n"
            "bucket_location = us-east-1\nmax_retries = 1\n"
        )
        self.env = clean_env(home)
        self.stderr = ""

    def __call__(self, *args: str, check: bool = True) -> str:
        result = run([self.binary, "-c", str(self.config), *args], self.env, check=check)
        self.stderr += result.stderr
        return result.stdout


def md5_of(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_s3cmd_round_trip(cluster: AllInOne, s3: Any, tmp_path: Path) -> None:
    s3cmd = S3cmd(cluster, tmp_path)
    problems = gateway_problems(cluster)
    bucket = f"s3cmd-{uuid.uuid4().hex[:10]}"
    src = make_tree(tmp_path / "src")
    s3cmd("mb", f"s3://{bucket}")

    s3cmd("put", str(src / "small.bin"), f"s3://{bucket}/one/small.bin")
    s3cmd("put", "--multipart-chunk-size-mb=5", str(src / "a/large.bin"), f"s3://{bucket}/one/large.bin")
    assert s3.head_object(Bucket=bucket, Key="one/large.bin")["ETag"].endswith('-3"')  # three parts
    s3cmd("cp", f"s3://{bucket}/one/large.bin", f"s3://{bucket}/two/large.bin")
    s3cmd("mv", f"s3://{bucket}/one/small.bin", f"s3://{bucket}/two/small.bin")
    listing = s3cmd("ls", "--recursive", f"s3://{bucket}")
    assert f"{LARGE_BYTES}  s3://{bucket}/two/large.bin" in listing
    assert f"s3://{bucket}/two/small.bin" in listing and f"s3://{bucket}/one/small.bin" not in listing

    info = s3cmd("info", f"s3://{bucket}/two/large.bin")
    assert str(LARGE_BYTES) in info and md5_of(src / "a/large.bin") in info
    s3cmd("setacl", "--acl-private", f"s3://{bucket}/two/small.bin")
    assert "FULL_CONTROL" in s3cmd("info", f"s3://{bucket}/two/small.bin")
    (tmp_path / "cors.xml").write_text(CORS_XML)
    s3cmd("setcors", str(tmp_path / "cors.xml"), f"s3://{bucket}")
    assert "<AllowedOrigin>https://app.test</AllowedOrigin>" in s3cmd("info", f"s3://{bucket}")
    s3cmd("delcors", f"s3://{bucket}")
    assert "CORS:      none" in s3cmd("info", f"s3://{bucket}")

    s3cmd("sync", "--multipart-chunk-size-mb=5", f"{src}/", f"s3://{bucket}/tree/")
    back = tmp_path / "back"
    back.mkdir()
    s3cmd("sync", f"s3://{bucket}/tree/", f"{back}/")
    assert same_tree(src, back) == []
    got = tmp_path / "got.bin"
    s3cmd("get", f"s3://{bucket}/two/large.bin", str(got))
    assert got.read_bytes() == (src / "a/large.bin").read_bytes()

    (src / "d/x.txt").unlink()
    s3cmd("sync", "--delete-removed", f"{src}/", f"s3://{bucket}/tree/")
    assert f"s3://{bucket}/tree/d/x.txt" not in s3cmd("ls", "--recursive", f"s3://{bucket}")
    s3cmd("del", f"s3://{bucket}/two/small.bin")
    s3cmd("del", "--recursive", "--force", f"s3://{bucket}")
    s3cmd("rb", f"s3://{bucket}")
    assert f"s3://{bucket}" not in s3cmd("ls")
    assert "Retrying" not in s3cmd.stderr and "Waiting" not in s3cmd.stderr, s3cmd.stderr
    assert gateway_problems(cluster) == problems
