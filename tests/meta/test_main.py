"""objectio-meta as a process (die-with-parent, quick shutdown with watchers) and MetaConfig."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from objectio.common.config import ConfigError
from objectio.meta.client import MetaUnavailable
from objectio.meta.config import MetaConfig
from tests.meta.conftest import Running
from tests.meta.test_crash import connect, start_meta


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


@pytest.mark.e2e
def test_the_daemon_dies_with_its_parent(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    child = (
        "import os, subprocess, sys, time\n"
        "p = subprocess.Popen([sys.executable, '-m', 'objectio.meta.main', '--listen-host=127.0.0.1',"
        f" '--listen-port=0', '--data-dir={tmp_path / 'meta'}', '--ready-file={ready}'],"
        " env={**os.environ, 'OBJECTIO_DIE_WITH_PARENT': '1'}, stderr=subprocess.DEVNULL)\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE)
    daemon_pid = 0
    try:
        assert parent.stdout is not None
        daemon_pid = int(parent.stdout.readline())
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert time.monotonic() < deadline, "objectio-meta never became ready"
            time.sleep(0.05)
        with open(f"/proc/{daemon_pid}/comm") as comm:
            assert comm.read().strip() == "objectio-meta"
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 10
        while _alive(daemon_pid):
            assert time.monotonic() < deadline, "objectio-meta outlived its parent"
            time.sleep(0.05)
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
        if daemon_pid and _alive(daemon_pid):
            os.kill(daemon_pid, signal.SIGKILL)


@pytest.mark.e2e
async def test_sigterm_ends_watch_streams_and_exits_cleanly(tmp_path: Path) -> None:
    ready, log = tmp_path / "ready.json", tmp_path / "meta.log"
    proc = start_meta(tmp_path / "meta", ready, log, "--shutdown-grace-ms=30000")
    try:
        client = await connect(ready)
        try:
            maps = client.watch_cluster_map(0, reconnect=False)
            assert (await anext(maps)).epoch > 0
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            with pytest.raises((StopAsyncIteration, MetaUnavailable)):
                await asyncio.wait_for(anext(maps), 20)
            assert await asyncio.to_thread(proc.wait, 20) == 0
            assert time.monotonic() - started < 15, "shutdown waited out the grace for the watch stream"
        finally:
            await client.close()
    finally:
        proc.kill()
        proc.wait()


async def test_watch_streams_end_when_the_server_stops(meta: Running) -> None:
    maps = meta.client.watch_cluster_map(0, reconnect=False)
    await anext(maps)
    meta.server.state.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(anext(maps), 5)


@pytest.mark.parametrize(
    "bad",
    [
        {"heartbeat_interval_ms": 6000},
        {"write_batch_records_max": 10, "write_queue_depth_max": 5},
        {"inline_data_bytes_max": 4 << 20},
        {"root_access_key": "AK"},
        {"read_threads": 0},
        {"listen_port": 70000},
    ],
)
def test_config_relations_are_checked(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        MetaConfig(**bad).validate()  # type: ignore[arg-type]


def test_config_repr_hides_secrets() -> None:
    text = repr(MetaConfig(cluster_token="tok-123", root_access_key="AK", root_secret_key="sk-456"))
    assert "tok-123" not in text and "sk-456" not in text and "'AK'" in text
