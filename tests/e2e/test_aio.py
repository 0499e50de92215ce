"""The all-in-one launcher as operators run it: one command, printed credentials, readiness,
clean stop on SIGTERM (no daemon left behind) and data kept across restarts."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest

from objectio.cli.aio import free_port

pytestmark = pytest.mark.e2e

AIO = str(Path(sys.executable).parent / "objectio-aio")


def _start(data_dir: Path, port: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [AIO, "--data-dir", str(data_dir), "--port", str(port), "--osds", "6", "--disk-size-bytes", str(256 << 20)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    seen: dict[str, str] = {}
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    while time.monotonic() < deadline and "secret" not in seen:
        line = proc.stdout.readline()
        if not line:
            break
        for field, pattern in (
            ("endpoint", r"endpoint:\s+(\S+)"),
            ("access", r"access key:\s+(\S+)"),
            ("secret", r"secret key:\s+(\S+)"),
        ):
            match = re.search(pattern, line)
            if match:
                seen[field] = match.group(1)
    assert "secret" in seen, f"launcher did not print credentials: {seen}"
    return proc, seen


def _children_of(pgid: int) -> list[int]:
    """Live processes of the group (zombies waiting for a reaper are already dead)."""
    out = subprocess.run(["ps", "-o", "pid=,stat=", "-g", str(pgid)], capture_output=True, text=True).stdout
    return [int(pid) for pid, stat in (line.split() for line in out.splitlines()) if not stat.startswith("Z")]


def test_launcher_prints_credentials_serves_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env_before = dict(os.environ)
    proc, seen = _start(tmp_path / "data", port)
    try:
        assert seen["endpoint"] == f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{seen['endpoint']}/health/ready", timeout=5) as response:
            assert response.status == 200
        s3: Any = boto3.client(
            "s3",
            endpoint_url=seen["endpoint"],
            aws_access_key_id=seen["access"],
            aws_secret_access_key=seen["secret"],
            region_name="us-east-1",
        )
        s3.create_bucket(Bucket="keep")
        s3.put_object(Bucket="keep", Key="k", Body=b"persist me" * 10_000)
        cmdlines = [
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            for pid in _children_of(proc.pid)
            if pid != proc.pid and Path(f"/proc/{pid}").exists()
        ]
        for role in (b"objectio-meta", b"objectio-osd", b"objectio-gateway"):
            assert any(role in c for c in cmdlines), f"no process names {role!r}: {cmdlines}"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        assert proc.stdout is not None
        proc.stdout.close()
    time.sleep(0.5)
    assert _children_of(proc.pid) == [], "daemons outlived the launcher"
    assert os.environ == env_before

    proc, seen2 = _start(tmp_path / "data", port)
    try:
        assert (seen2["access"], seen2["secret"]) == (seen["access"], seen["secret"])
        s3 = boto3.client(
            "s3",
            endpoint_url=seen2["endpoint"],
            aws_access_key_id=seen2["access"],
            aws_secret_access_key=seen2["secret"],
            region_name="us-east-1",
        )
        assert s3.get_object(Bucket="keep", Key="k")["Body"].read() == b"persist me" * 10_000
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # killing the group kills the cluster
        proc.wait(timeout=30)
        assert proc.stdout is not None
        proc.stdout.close()
    time.sleep(1)
    assert _children_of(proc.pid) == []
