"""Probe test: objectio-meta as a real process, killed with SIGKILL under concurrent PutObject
load, restarted; every acknowledged record must be there, byte for byte.

Reproduce a failure with the seed printed in the assertion message (SEED below).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from objectio.meta.client import MetaClient, MetaError
from objectio.protos import meta_pb2 as pb
from tests.meta.conftest import TOKEN

SEED = 4242
ROUNDS = 3
WORKERS = 24
READY_TIMEOUT_S = 30.0


def start_meta(data_dir: Path, ready: Path, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    ready.unlink(missing_ok=True)
    args = [
        sys.executable,
        "-m",
        "objectio.meta.main",
        "--listen-host=127.0.0.1",
        "--listen-port=0",
        f"--data-dir={data_dir}",
        f"--ready-file={ready}",
        f"--cluster-token={TOKEN}",
        *extra,
    ]
    env = {**os.environ, "OBJECTIO_DIE_WITH_PARENT": "1"}
    with log.open("ab") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=out, env=env)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise AssertionError(f"objectio-meta did not start; log:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)
    return proc


async def connect(ready: Path) -> MetaClient:
    """A client of the daemon that wrote ``ready``, once its channel is up (a loaded machine can
    take seconds to finish the first connection)."""
    client = await MetaClient.connect(f"127.0.0.1:{json.loads(ready.read_text())['port']}", TOKEN)
    await client.wait_ready(READY_TIMEOUT_S)
    return client


def make_record(key: str, data: bytes) -> pb.ObjectRecord:
    return pb.ObjectRecord(
        bucket="crash",
        key=key,
        size=len(data),
        etag=hashlib.md5(data).hexdigest(),
        inline_data=data,
        is_inline=True,
    )


async def hammer(client: MetaClient, rng: random.Random, tag: str, acked: dict[str, bytes]) -> None:
    """Put unique keys from many workers until the server dies; remember what was acknowledged."""

    async def worker(w: int) -> None:
        n = 0
        while True:
            key = f"{tag}/w{w:02d}/{n:06d}"
            data = rng.randbytes(rng.randint(0, 3000))
            try:
                await client.put_object(make_record(key, data))
            except MetaError:
                return  # the server is gone
            acked[key] = data
            n += 1

    await asyncio.gather(*(worker(w) for w in range(WORKERS)))


async def verify(client: MetaClient, acked: dict[str, bytes]) -> None:
    keys = list(acked)

    async def check(chunk: list[str]) -> None:
        for key in chunk:
            record = await client.get_object("crash", key)
            assert record.inline_data == acked[key], f"seed={SEED}: {key} changed after kill -9"
            assert record.etag == hashlib.md5(acked[key]).hexdigest()

    await asyncio.gather(*(check(keys[i::16]) for i in range(16)))


async def crash_round(
    client: MetaClient, proc: subprocess.Popen[bytes], rng: random.Random, round_no: int, acked: dict[str, bytes]
) -> None:
    """Check what earlier rounds acknowledged, load the daemon, SIGKILL it mid-load."""
    if round_no == 0:
        await client.create_bucket("crash", "admin")
    await verify(client, acked)  # everything acknowledged before the previous kill
    before = len(acked)
    load = asyncio.create_task(hammer(client, rng, f"r{round_no}", acked))
    deadline = time.monotonic() + 20
    while len(acked) < before + WORKERS:  # under way (a loaded machine may start slowly)
        assert time.monotonic() < deadline, f"seed={SEED}: round {round_no}: puts never succeeded"
        assert not load.done(), f"seed={SEED}: round {round_no}: load ended early: {load}"
        await asyncio.sleep(0.01)
    await asyncio.sleep(rng.uniform(0.1, 0.8))
    os.kill(proc.pid, signal.SIGKILL)
    await asyncio.wait_for(load, 30)
    assert proc.wait(10) == -signal.SIGKILL


@pytest.mark.e2e
async def test_acknowledged_puts_survive_kill_9(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    data_dir, ready, log = tmp_path / "meta", tmp_path / "ready.json", tmp_path / "meta.log"
    acked: dict[str, bytes] = {}
    for round_no in range(ROUNDS):
        proc = start_meta(data_dir, ready, log)
        try:
            client = await connect(ready)
            try:
                await crash_round(client, proc, rng, round_no, acked)
            finally:
                await client.close()
        finally:
            proc.kill()
            proc.wait()
    proc = start_meta(data_dir, ready, log)
    try:
        client = await connect(ready)
        try:
            await verify(client, acked)
            status = await client.get_status()
            assert status.object_count >= len(acked)  # plus puts committed but not acknowledged
        finally:
            await client.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()[-3000:]
    finally:
        proc.kill()
        proc.wait()
    conn = sqlite3.connect(data_dir / "meta.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()
