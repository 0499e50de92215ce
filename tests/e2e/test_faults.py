"""Fault tests on real processes: OSDs killed with SIGKILL, metadata service and gateway killed
mid-load. Every acknowledged object must read back byte-exact; nothing half-written is visible."""

from __future__ import annotations

import hashlib
import random
import threading
import time
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from objectio.cli.aio import AllInOne
from tests.e2e.conftest import s3_client

pytestmark = pytest.mark.e2e

MAP_CATCH_UP_S = 15.0  # restarted OSDs register, meta bumps the epoch, the gateway follows
SIZES = [10, 20_000, 1 << 20, 5 * (1 << 20) + 7]  # inline, one stripe, one stripe, several stripes


def _body(key: str, size: int) -> bytes:
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    return random.Random(seed).randbytes(size)


def test_reads_survive_two_dead_osds_and_fail_cleanly_after_a_third(fresh_cluster: AllInOne) -> None:
    s3: Any = s3_client(fresh_cluster)
    s3.create_bucket(Bucket="faults")
    objects = {f"obj-{size}-{i}": _body(f"obj-{size}-{i}", size) for size in SIZES for i in range(3)}
    for key, body in objects.items():
        s3.put_object(Bucket="faults", Key=key, Body=body)

    for victim in ("osd1", "osd4"):
        fresh_cluster.daemons[victim].kill()
        for key, body in objects.items():
            assert s3.get_object(Bucket="faults", Key=key)["Body"].read() == body, f"{key} after killing {victim}"
    # Every object has a fragment on each of the 6 OSDs: some of those lost were data fragments.
    metrics = _gateway_metrics(fresh_cluster)
    assert metrics["objectio_gateway_degraded_reads_total"] > 0
    assert metrics["objectio_gateway_ec_decode_seconds_count"] > 0
    assert metrics["objectio_gateway_ec_encode_seconds_count"] >= len(SIZES) - 1

    fresh_cluster.daemons["osd2"].kill()
    for key, body in objects.items():
        if len(body) <= 16 << 10:
            assert s3.get_object(Bucket="faults", Key=key)["Body"].read() == body  # inline in metadata
            continue
        with pytest.raises(ClientError) as excinfo:
            s3.get_object(Bucket="faults", Key=key)["Body"].read()
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503, key
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket="faults", Key="new", Body=b"z" * (1 << 20))
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503

    for victim in ("osd1", "osd2", "osd4"):
        fresh_cluster.daemons[victim].start()
        fresh_cluster.daemons[victim].wait_ready()
    for key, body in objects.items():
        assert _get_once_osds_are_back(s3, key) == body, f"{key} after restarts"


def _get_once_osds_are_back(s3: Any, key: str) -> bytes:
    """The object's bytes; 503 only until the gateway's cluster map has the restarted OSDs up."""
    deadline = time.monotonic() + MAP_CATCH_UP_S
    while True:
        try:
            data: bytes = s3.get_object(Bucket="faults", Key=key)["Body"].read()
            return data
        except ClientError as exc:
            if exc.response["ResponseMetadata"]["HTTPStatusCode"] != 503 or time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def _gateway_metrics(cluster: AllInOne) -> dict[str, float]:
    with urllib.request.urlopen(f"{cluster.endpoint}/metrics", timeout=5) as reply:
        lines = reply.read().decode().splitlines()
    return {name: float(value) for name, _, value in (line.rpartition(" ") for line in lines if line[:1] != "#")}


def test_degraded_write_with_one_dead_osd_is_readable(fresh_cluster: AllInOne) -> None:
    s3: Any = s3_client(fresh_cluster)
    s3.create_bucket(Bucket="degraded")
    fresh_cluster.daemons["osd3"].kill()
    body = _body("deg", 3 * (1 << 20))
    s3.put_object(Bucket="degraded", Key="deg", Body=body)
    assert s3.get_object(Bucket="degraded", Key="deg")["Body"].read() == body
    fresh_cluster.daemons["osd0"].kill()  # a second loss: the degraded stripe still has k fragments
    assert s3.get_object(Bucket="degraded", Key="deg")["Body"].read() == body


class Writer(threading.Thread):
    """PUTs keys whose bodies are derived from the key; records which PUTs were acknowledged."""

    def __init__(self, cluster: AllInOne, name: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.cluster = cluster
        self.prefix = name
        self.stop_event = stop
        self.acked: dict[str, int] = {}
        self.attempted: dict[str, int] = {}
        self.failures = 0

    def run(self) -> None:
        rng = random.Random(self.prefix)
        n = 0
        while not self.stop_event.is_set():
            s3: Any = s3_client(self.cluster)
            try:
                while not self.stop_event.is_set():
                    size = rng.choice([100, 30_000, 600_000, 2 * (1 << 20) + 3])
                    key = f"{self.prefix}/{n:06d}"
                    n += 1
                    self.attempted[key] = size
                    s3.put_object(Bucket="load", Key=key, Body=_body(key, size))
                    self.acked[key] = size
            except Exception:
                self.failures += 1
                time.sleep(0.2)


def test_meta_and_gateway_killed_mid_load_lose_nothing_acknowledged(fresh_cluster: AllInOne) -> None:
    s3: Any = s3_client(fresh_cluster)
    s3.create_bucket(Bucket="load")
    stop = threading.Event()
    writers = [Writer(fresh_cluster, f"w{i}", stop) for i in range(4)]
    for writer in writers:
        writer.start()
    time.sleep(3)
    fresh_cluster.daemons["meta"].kill()
    time.sleep(1)
    fresh_cluster.daemons["meta"].start()
    fresh_cluster.daemons["meta"].wait_ready()
    time.sleep(3)
    fresh_cluster.daemons["gateway"].kill()
    time.sleep(0.5)
    fresh_cluster.start_gateway()
    time.sleep(3)
    stop.set()
    for writer in writers:
        writer.join(timeout=60)

    s3 = s3_client(fresh_cluster)
    acked = {k: v for w in writers for k, v in w.acked.items()}
    attempted = {k: v for w in writers for k, v in w.attempted.items()}
    assert len(acked) > 20, "the load did not get going"
    for key, size in acked.items():
        assert s3.get_object(Bucket="load", Key=key)["Body"].read() == _body(key, size), key
    listed = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="load")
        for o in page.get("Contents", [])
    ]
    for key in listed:  # whatever is visible is whole
        assert key in attempted
        assert s3.get_object(Bucket="load", Key=key)["Body"].read() == _body(key, attempted[key]), key
