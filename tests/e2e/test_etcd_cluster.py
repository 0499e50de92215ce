"""Two gateways and two meta instances over a real 3-member etcd cluster, with six OSDs.

Read-after-write across gateways, concurrent PUTs of one key through both gateways (also as
versions of a versioned bucket), and the
probe test: kill -9 an etcd member and the leading meta instance under load — no acknowledged
object is lost, the service keeps answering (errors only around the leader change, counted),
the other meta instance takes over background work, and the etcd member rejoins on restart.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from objectio.cli.aio import AllInOne, free_port
from tests.e2e.conftest import DISK_SIZE_BYTES
from tests.e2e.two_gateways import gateway_client, race_one_key, run_concurrently
from tests.etcd_cluster import EtcdCluster, start_etcd_cluster

LEADER_TAKEOVER_S_MAX = 20.0  # lease TTL (5 s) + election + a loaded CI machine


@contextlib.contextmanager
def ha_cluster(root: Path) -> Iterator[tuple[AllInOne, EtcdCluster]]:
    etcd = start_etcd_cluster(root / "etcd")
    cluster = AllInOne(
        root / "aio",
        port=free_port(),
        osds=6,
        disk_size_bytes=DISK_SIZE_BYTES,
        metrics=False,
        meta_backend="etcd",
        etcd_endpoints=etcd.endpoints,
        metas=2,
        gateways=2,
    )
    try:
        cluster.start()
        yield cluster, etcd
    finally:
        cluster.stop()
        etcd.stop()


@pytest.fixture(scope="module")
def ha(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AllInOne]:
    """Shared by the tests that break nothing."""
    with ha_cluster(tmp_path_factory.mktemp("ha")) as (cluster, _):
        yield cluster


def client(cluster: AllInOne, endpoint: str) -> Any:
    return gateway_client(cluster.credentials, endpoint)


def leader(etcd: EtcdCluster) -> str:
    done = subprocess.run(
        ["etcdctl", f"--endpoints={','.join(etcd.endpoints)}", "get", "--print-value-only", "/objectio/leader"],
        capture_output=True,
        text=True,
        env={**os.environ, "ETCDCTL_API": "3"},
        timeout=10,
    )
    return done.stdout.strip()


def wait_for_leader(etcd: EtcdCluster, not_: str = "") -> str:
    deadline = time.monotonic() + LEADER_TAKEOVER_S_MAX
    while time.monotonic() < deadline:
        name = leader(etcd)
        if name and name != not_:
            return name
        time.sleep(0.2)
    raise AssertionError(f"no meta instance other than {not_!r} leads after {LEADER_TAKEOVER_S_MAX} s")


def test_read_after_write_across_gateways(ha: AllInOne) -> None:
    a, b = (client(ha, e) for e in ha.endpoints)
    a.create_bucket(Bucket="raw")
    small, large = os.urandom(3000), os.urandom(5 << 20)  # inline, and erasure-coded over 2 stripes
    for i in range(20):
        writer, reader = (a, b) if i % 2 == 0 else (b, a)
        writer.put_object(Bucket="raw", Key=f"k{i}", Body=small + bytes([i]))
        assert reader.get_object(Bucket="raw", Key=f"k{i}")["Body"].read() == small + bytes([i])
    a.put_object(Bucket="raw", Key="large", Body=large)
    assert hashlib.md5(b.get_object(Bucket="raw", Key="large")["Body"].read()).digest() == hashlib.md5(large).digest()
    listed = b.list_objects_v2(Bucket="raw")["Contents"]
    assert len(listed) == 21
    b.delete_object(Bucket="raw", Key="k0")
    with pytest.raises(ClientError) as missing:
        a.head_object(Bucket="raw", Key="k0")
    assert missing.value.response["Error"]["Code"] in ("404", "NoSuchKey")
    # A bucket made through one gateway is usable through the other at once.
    b.create_bucket(Bucket="second")
    a.put_object(Bucket="second", Key="x", Body=b"x")
    assert b.get_object(Bucket="second", Key="x")["Body"].read() == b"x"


def test_versions_through_both_gateways(ha: AllInOne) -> None:
    """Versions written concurrently through two gateways (two meta instances) all survive, in one
    order every gateway agrees on; delete markers and removing one by id work across gateways."""
    a, b = (client(ha, e) for e in ha.endpoints)
    a.create_bucket(Bucket="vers")
    a.put_bucket_versioning(Bucket="vers", VersioningConfiguration={"Status": "Enabled"})
    bodies = [os.urandom(size) for size in (1000, 200_000, 3000, 600_000, 10, 40_000)]
    version_of: dict[str, bytes] = {}

    def put(i: int, body: bytes) -> None:
        reply = (a, b)[i % 2].put_object(Bucket="vers", Key="doc", Body=body)
        version_of[reply["VersionId"]] = body

    errors = run_concurrently([functools.partial(put, i, body) for i, body in enumerate(bodies)])
    assert not errors and len(version_of) == len(bodies)
    listings = [c.list_object_versions(Bucket="vers")["Versions"] for c in (a, b)]
    assert listings[0] == listings[1]
    assert sorted(v["VersionId"] for v in listings[0]) == sorted(version_of)
    assert [v["IsLatest"] for v in listings[0]] == [True] + [False] * (len(bodies) - 1)
    for v in listings[0]:
        got = (a, b)[len(v["VersionId"]) % 2].get_object(Bucket="vers", Key="doc", VersionId=v["VersionId"])
        assert got["Body"].read() == version_of[v["VersionId"]]
    marker = b.delete_object(Bucket="vers", Key="doc")
    assert marker["DeleteMarker"]
    with pytest.raises(ClientError):
        a.get_object(Bucket="vers", Key="doc")
    assert "Contents" not in a.list_objects_v2(Bucket="vers")
    a.delete_object(Bucket="vers", Key="doc", VersionId=marker["VersionId"])  # the marker goes: doc is back
    newest = listings[0][0]["VersionId"]
    assert b.get_object(Bucket="vers", Key="doc")["Body"].read() == version_of[newest]
    assert [o["Key"] for o in b.list_objects_v2(Bucket="vers")["Contents"]] == ["doc"]


def test_concurrent_puts_of_one_key_end_with_one_winner(ha: AllInOne) -> None:
    race_one_key([client(ha, e) for e in ha.endpoints], "race", rounds=8)


class Load:
    """PUTs of fresh keys through both gateways until stopped; remembers what was acknowledged."""

    def __init__(self, clients: list[Any]) -> None:
        self.clients = clients
        self.acked: dict[str, str] = {}  # key -> md5 of the acknowledged body
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(n,)) for n in range(4)]

    def _run(self, n: int) -> None:
        i = 0
        while not self.stop.is_set():
            key = f"w{n}/{i:06d}"
            body = os.urandom(4096 if i % 3 else 200_000)
            try:
                self.clients[(n + i) % 2].put_object(Bucket="load", Key=key, Body=body)
            except (ClientError, EndpointConnectionError) as exc:
                with self.lock:
                    self.errors.append(f"{key}: {exc}")
            else:
                with self.lock:
                    self.acked[key] = hashlib.md5(body).hexdigest()
            i += 1

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()


def test_kill_an_etcd_member_and_the_leading_meta_under_load(tmp_path: Path) -> None:
    with ha_cluster(tmp_path) as (ha, etcd):
        kill_under_load(ha, etcd)


def kill_under_load(ha: AllInOne, etcd: EtcdCluster) -> None:
    clients = [client(ha, e) for e in ha.endpoints]
    clients[0].create_bucket(Bucket="load")
    first = wait_for_leader(etcd)
    assert first in ha.meta_names
    with Load(clients) as load:
        time.sleep(2)
        acked_before = len(load.acked)
        etcd.kill(etcd.members[0])
        ha.daemons[first].kill()
        killed_at = time.monotonic()
        second = wait_for_leader(etcd, not_=first)
        takeover_s = time.monotonic() - killed_at
        time.sleep(3)
    acked_during = len(load.acked) - acked_before
    print(
        f"acknowledged {len(load.acked)} PUTs ({acked_during} after the kills), {len(load.errors)} failed; "
        f"leader {first} -> {second} in {takeover_s:.1f} s"
    )
    assert acked_during > 0, "the service stopped answering after the kills"
    assert len(load.errors) <= max(20, len(load.acked) // 10), f"too many errors: {load.errors[:5]}"
    for key, md5 in load.acked.items():
        for c in clients:
            got = c.get_object(Bucket="load", Key=key)
            assert hashlib.md5(got["Body"].read()).hexdigest() == md5, f"acknowledged {key} lost or changed"
    etcd.restart(etcd.members[0])  # rejoins with its data directory and catches up
    ha.daemons[first].start()
    ha.daemons[first].wait_ready()
    clients[1].put_object(Bucket="load", Key="after", Body=b"after")
    assert clients[0].get_object(Bucket="load", Key="after")["Body"].read() == b"after"
    assert leader(etcd) == second, "a restarted instance must not depose the leader"
