"""``objectio-gateway`` as a process: config flags, ready file, health, graceful SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from objectio.cli.launch import free_port

LAUNCHER = """
import sys, types
sys.path.insert(0, {tests!r})
from memory_backend import MemoryBackend
module = types.ModuleType("objectio.gateway.cluster_backend")
async def create_backend(config):
    return MemoryBackend()
async def close_backend(backend):
    print("backend closed", flush=True)
module.create_backend = create_backend
module.close_backend = close_backend
sys.modules["objectio.gateway.cluster_backend"] = module
from objectio.gateway.main import main
raise SystemExit(main(sys.argv[1:]))
"""


def wait_for(path: Path, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.02)


def listening_sockets(port: int) -> int:
    """TCP sockets in LISTEN state on ``port`` (IPv4), from /proc/net/tcp."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows if row.split()[1].endswith(f":{port:04X}") and row.split()[3] == "0A")


@pytest.mark.parametrize("workers", [1, 2])
def test_serves_and_stops_gracefully(tmp_path: Path, workers: int) -> None:
    port = free_port()
    ready = tmp_path / "ready"
    script = LAUNCHER.format(tests=str(Path(__file__).parent))
    args = ["--listen-port", str(port), "--workers", str(workers), "--ready-file", str(ready), "--log-level", "info"]
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for(ready)
        deadline = time.monotonic() + 10
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/health/live", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        assert response.status_code == 200
        assert listening_sockets(port) == workers  # each worker accepts on its own socket
        assert requests.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 403
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert out.count("backend closed") == workers
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "objectio.gateway.access"]
    assert access and access[-1]["status"] == 403 and access[-1]["request_id"] != "-"
    assert access[-1]["access_key"] == ""  # anonymous
    assert all("authorization" not in json.dumps(line).lower() for line in lines)


def test_bad_config_exits_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "objectio.gateway.main", "--object-bytes-max", "0"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "object_bytes_max" in result.stderr
