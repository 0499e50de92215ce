"""Seeded fault injection on real processes: under a write/read load, OSDs are killed with
SIGKILL and restarted, fragments are corrupted inside stopped OSDs' disk images, and the
metadata service and the gateway are killed and restarted — in an order drawn from a seed.
Afterwards every acknowledged object reads byte-exact and whatever is visible is whole.

The seed is random per run unless ``OBJECTIO_FAULT_SEED`` is set, and every failure message
names it: ``OBJECTIO_FAULT_SEED=<seed> pytest tests/e2e/test_fault_seeded.py`` replays the same
fault sequence (the timing of the load against it still varies). The short form runs in the
default test set; the soak (``--run-slow``) runs for ``SOAK_SECONDS``.

Safety margin kept by the schedule so that acknowledged data must survive (RS 4+2 tolerates 2
lost fragments per stripe): at most one OSD is down at a time, and each object has at most one
fragment corrupted, only while all its stripes are complete.
"""

from __future__ import annotations

import mmap
import os
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from objectio.cli.aio import AllInOne
from objectio.common.erasure import payload_bytes
from objectio.common.pools import DEFAULT_POOLS
from tests.e2e.conftest import s3_client
from tests.e2e.repair_cluster import body_of, osd_ids_by_daemon, records, start_repair_cluster

pytestmark = pytest.mark.e2e

POOL = DEFAULT_POOLS[0]  # rs-4-2
SHORT_SECONDS = 45
SOAK_SECONDS = 300
SIZES = [100, 30_000, 300_000, 2 * (1 << 20) + 3, 5 * (1 << 20) + 1]  # inline .. multi-stripe
NEEDLE_BYTES = 64
NEEDLE_OFFSET = 4096  # inside a data fragment's payload
SETTLE_TIMEOUT_S = 60
ENV = {
    "OBJECTIO_OSD_SCRUB_INTERVAL_MS": "5000",  # scrub finds the corrupted fragments during the run
    "OBJECTIO_OSD_STALE_SWEEP_INTERVAL_MS": "5000",
}


def fault_seed() -> int:
    given = os.environ.get("OBJECTIO_FAULT_SEED")
    return int(given) if given else random.SystemRandom().randrange(1 << 32)


@dataclass
class Load:
    """Writers PUT unique keys (body derived from the key); readers GET acknowledged keys."""

    cluster: AllInOne
    seed: int
    stop: threading.Event = field(default_factory=threading.Event)
    acked: dict[str, int] = field(default_factory=dict)
    attempted: dict[str, int] = field(default_factory=dict)
    wrong: list[str] = field(default_factory=list)  # a 200 with the wrong bytes: always a bug
    reads_ok: int = 0

    def writer(self, name: str) -> None:
        rng = random.Random(f"{self.seed}-{name}")
        n = 0
        s3: Any = s3_client(self.cluster)
        while not self.stop.is_set():
            key, size = f"{name}/{n:06d}", rng.choice(SIZES)
            n += 1
            self.attempted[key] = size
            try:
                s3.put_object(Bucket="faults", Key=key, Body=body_of(key, size))
                self.acked[key] = size
            except Exception:
                time.sleep(0.2)
                s3 = s3_client(self.cluster)

    def reader(self, name: str) -> None:
        rng = random.Random(f"{self.seed}-{name}")
        s3: Any = s3_client(self.cluster)
        while not self.stop.is_set():
            keys = list(self.acked)
            if not keys:
                time.sleep(0.1)
                continue
            key = rng.choice(keys)
            try:
                data = s3.get_object(Bucket="faults", Key=key)["Body"].read()
            except Exception:
                time.sleep(0.1)
                s3 = s3_client(self.cluster)
                continue
            if data != body_of(key, self.acked[key]):
                self.wrong.append(f"{key}: {len(data)} bytes, not the acknowledged {self.acked[key]}")
            else:
                self.reads_ok += 1


def _flip(image: Path, needle: bytes) -> int:
    found = 0
    with open(image, "r+b") as handle, mmap.mmap(handle.fileno(), 0) as data:
        at = data.find(needle)
        while at >= 0:
            data[at : at + len(needle)] = bytes(b ^ 0xFF for b in needle)
            found += 1
            at = data.find(needle, at + 1)
        data.flush()
    return found


class Faults:
    """The seeded fault schedule; ``log`` is the sequence that happened (printed on failure)."""

    def __init__(self, cluster: AllInOne, load: Load, seed: int) -> None:
        self.cluster = cluster
        self.load = load
        self.rng = random.Random(seed)
        self.down: str | None = None  # at most one OSD down at a time
        self.corrupted: set[str] = set()
        self.log: list[str] = []

    def step(self) -> None:
        action = self.rng.choices(
            ["kill_osd", "restart_osd", "corrupt", "kill_meta", "kill_gateway"], weights=[4, 4, 3, 1, 1]
        )[0]
        getattr(self, action)()

    def _note(self, what: str) -> None:
        self.log.append(f"{time.strftime('%H:%M:%S')} {what}")

    def kill_osd(self) -> None:
        if self.down is not None:
            return self.restart_osd()
        self.down = self.rng.choice(self.cluster.osd_names())
        self.cluster.daemons[self.down].kill()
        self._note(f"kill -9 {self.down}")

    def restart_osd(self) -> None:
        if self.down is None:
            return
        self.cluster.daemons[self.down].start()
        self.cluster.daemons[self.down].wait_ready()
        self._note(f"restart {self.down}")
        self.down = None

    def corrupt(self) -> None:
        """Stop an OSD, flip bytes of one data fragment of a complete object it holds, restart it."""
        candidates = sorted(k for k, size in self.load.acked.items() if size > 16 << 10 and k not in self.corrupted)
        if self.down is not None or not candidates:
            return
        key = self.rng.choice(candidates)
        record = records(self.cluster, "faults", [key])[key]
        if any(0 in s.osd_ids for s in record.stripes):
            return  # a degraded stripe: one more loss would be its last margin
        stripe_index = self.rng.randrange(len(record.stripes))
        stripe = record.stripes[stripe_index]
        fragment = self.rng.randrange(POOL.k)
        if payload_bytes(POOL, stripe.length) < NEEDLE_OFFSET + NEEDLE_BYTES:
            return
        names = {osd_id: name for name, osd_id in osd_ids_by_daemon(self.cluster).items()}
        daemon = names.get(stripe.osd_ids[fragment])
        if daemon is None:
            return
        at = stripe_index * POOL.stripe_data_bytes + fragment * payload_bytes(POOL, stripe.length) + NEEDLE_OFFSET
        needle = body_of(key, self.load.acked[key])[at : at + NEEDLE_BYTES]
        self.cluster.daemons[daemon].kill()
        flipped = _flip(self.cluster.data_dir / "disks" / f"{daemon}.img", needle)
        self.cluster.daemons[daemon].start()
        self.cluster.daemons[daemon].wait_ready()
        self.corrupted.add(key)
        self._note(f"corrupt {key} stripe {stripe_index} fragment {fragment} on {daemon} ({flipped} copies)")

    def kill_meta(self) -> None:
        self.cluster.daemons["meta"].kill()
        self._note("kill -9 meta")
        time.sleep(self.rng.uniform(0.2, 1.5))
        self.cluster.daemons["meta"].start()
        self.cluster.daemons["meta"].wait_ready()
        self._note("restart meta")

    def kill_gateway(self) -> None:
        self.cluster.daemons["gateway"].kill()
        self._note("kill -9 gateway")
        time.sleep(self.rng.uniform(0.2, 1.0))
        self.cluster.start_gateway()
        self._note("restart gateway")


def _read_back(s3: Any, key: str, size: int) -> bytes | None:
    """The object's bytes (None: 404), retrying while the cluster settles after the faults."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        try:
            data: bytes = s3.get_object(Bucket="faults", Key=key)["Body"].read()
            return data
        except ClientError as exc:
            status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
            if status == 404 or time.monotonic() > deadline:
                if status == 404:
                    return None
                raise
        time.sleep(0.5)


def run_seeded_faults(tmp_path: Path, seconds: float) -> None:
    seed = fault_seed()
    print(f"OBJECTIO_FAULT_SEED={seed}")
    cluster = start_repair_cluster(tmp_path / "aio", osds=8, env=ENV)
    load = Load(cluster, seed)
    faults = Faults(cluster, load, seed)
    threads = [threading.Thread(target=load.writer, args=(f"w{i}",), daemon=True) for i in range(2)]
    threads += [threading.Thread(target=load.reader, args=(f"r{i}",), daemon=True) for i in range(2)]
    try:
        s3_client(cluster).create_bucket(Bucket="faults")  # type: ignore[attr-defined]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(faults.rng.uniform(1.0, 4.0))
            faults.step()
        faults.restart_osd()
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        context = f"seed={seed}; faults: {faults.log}"
        print(f"{len(load.acked)} PUTs acknowledged, {load.reads_ok} exact reads; {context}")
        assert load.wrong == [], f"wrong bytes served during the faults ({load.wrong[:5]}); {context}"
        assert len(load.acked) > 20 and load.reads_ok > 20, f"the load did not get going; {context}"
        s3: Any = s3_client(cluster)
        for key, size in load.acked.items():
            assert _read_back(s3, key, size) == body_of(key, size), f"acknowledged {key} not intact; {context}"
        listed = [
            o["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket="faults")
            for o in page.get("Contents", [])
        ]
        for key in listed:  # whatever is visible is whole
            assert key in load.attempted, f"{key} was never written; {context}"
            size = load.attempted[key]
            assert _read_back(s3, key, size) == body_of(key, size), f"visible {key} is not whole; {context}"
    finally:
        load.stop.set()
        cluster.stop()


def test_seeded_faults_short(tmp_path: Path) -> None:
    run_seeded_faults(tmp_path, SHORT_SECONDS)


@pytest.mark.slow
def test_seeded_faults_soak(tmp_path: Path) -> None:
    run_seeded_faults(tmp_path, SOAK_SECONDS)
