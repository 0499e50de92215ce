"""Total loss of the metadata store, on real processes: every object comes back byte-exact.

Objects of every kind are written (inline, empty, one stripe, several stripes, multipart, user
metadata and stored headers, overwritten keys, a deleted key); then the whole metadata is lost
and a fresh meta is started. Recovery is either ``objectio-cli meta rebuild`` from the OSDs alone
(plus ``meta restore`` of an older backup for users and keys) or ``meta restore`` of a current
backup. Each test prints the cluster's data directory on failure.

Every test runs on both metadata backends. On SQLite, losing the metadata is: stop meta and
delete its whole data directory. On etcd (a real 3-member cluster, two meta instances), it is:
stop every meta instance, delete their data directories and every etcd key under the cluster's
prefix, and check that nothing is left under it. Deleting the prefix rather than replacing the
etcd cluster is the honest loss for this product: the metadata of an ObjectIO cluster *is* its
key range (an etcd cluster may hold several ObjectIO clusters under different prefixes, and
nothing of ours lives elsewhere in etcd), and it keeps the etcd members, their ports and their
own state exactly as an operator who lost the data but not etcd would find them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from objectio.cli.aio import AllInOne
from objectio.cli.errors import EXIT_UNREACHABLE
from tests.e2e.conftest import s3_client, start_cluster
from tests.etcd_cluster import start_etcd_cluster

MIB = 1 << 20
UNREACHABLE_RETRIES = 3  # every command used here is idempotent
ETCD_PREFIX = "/objectio/"  # meta.etcd_prefix's default, which the all-in-one uses
ETCD_METAS = 2  # meta instances over etcd: the CLI and the gateway may reach either


def _run(cluster: AllInOne, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBJECTIO_")}
    argv = [sys.executable, "-m", "objectio.cli.main", "--data-dir", str(cluster.data_dir), *args, "--json"]
    for _ in range(UNREACHABLE_RETRIES):  # a loaded 2-core machine can miss a connect deadline
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env)
        if proc.returncode != EXIT_UNREACHABLE:
            break
        time.sleep(1)
    assert proc.returncode == 0, f"{args}: {proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout)


def _cli(cluster: AllInOne, *args: str) -> dict[str, Any]:
    result: dict[str, Any] = _run(cluster, *args)
    return result


def _cli_list(cluster: AllInOne, *args: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = _run(cluster, *args)
    return result


def _body(size: int, seed: int) -> bytes:
    block = hashlib.sha256(str(seed).encode()).digest() * 2048  # 64 KiB, distinct per seed
    return (block * (size // len(block) + 1))[:size]


def _write_objects(s3: Any) -> dict[str, dict[str, Any]]:
    """Put one object of each kind into bucket "dr-bucket"; what each key must read back as."""
    s3.create_bucket(Bucket="dr-bucket")
    expected: dict[str, dict[str, Any]] = {}

    def put(key: str, body: bytes, **extra: Any) -> None:
        s3.put_object(Bucket="dr-bucket", Key=key, Body=body, **extra)
        expected[key] = {"body": body, "type": extra.get("ContentType", "binary/octet-stream"), **extra}

    put("inline.txt", b"small and inline", ContentType="text/plain", Metadata={"color": "blue"})
    put("empty", b"")
    put("one-stripe.bin", _body(300_000, 1), Metadata={"k": "v"}, CacheControl="max-age=60")
    put("multi-stripe.bin", _body(9 * MIB + 123, 2), ContentType="application/x-test", ContentDisposition="inline")
    put("overwritten-ec", _body(200_000, 3))
    put("overwritten-ec", b"now inline", Metadata={"version": "2"})
    put("overwritten-inline", b"first, inline")
    put("overwritten-inline", _body(500_000, 4), ContentType="image/x-test")
    s3.put_object(Bucket="dr-bucket", Key="deleted", Body=_body(100_000, 5))
    s3.delete_object(Bucket="dr-bucket", Key="deleted")
    upload = s3.create_multipart_upload(
        Bucket="dr-bucket", Key="multipart", ContentType="video/x-test", Metadata={"m": "1"}
    )
    parts, body = [], b""
    for number, size in ((1, 5 * MIB), (2, MIB + 7)):
        chunk = _body(size, 10 + number)
        reply = s3.upload_part(
            Bucket="dr-bucket", Key="multipart", UploadId=upload["UploadId"], PartNumber=number, Body=chunk
        )
        parts.append({"PartNumber": number, "ETag": reply["ETag"]})
        body += chunk
    s3.complete_multipart_upload(
        Bucket="dr-bucket", Key="multipart", UploadId=upload["UploadId"], MultipartUpload={"Parts": parts}
    )
    expected["multipart"] = {"body": body, "type": "video/x-test", "Metadata": {"m": "1"}}
    for key, want in expected.items():  # remember the ETags the cluster gave them
        want["etag"] = s3.head_object(Bucket="dr-bucket", Key=key)["ETag"]
    return expected


def _check_objects(s3: Any, expected: dict[str, dict[str, Any]]) -> None:
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket="dr-bucket").get("Contents", [])]
    assert listed == sorted(expected), listed  # "deleted" did not come back
    for key, want in expected.items():
        got = s3.get_object(Bucket="dr-bucket", Key=key)
        assert got["Body"].read() == want["body"], key
        assert got["ContentLength"] == len(want["body"]), key
        assert got["ETag"] == want["etag"], key
        assert got["ContentType"] == want["type"], key
        assert got.get("Metadata", {}) == want.get("Metadata", {}), key
        if "CacheControl" in want:
            assert got["CacheControl"] == want["CacheControl"], key
        if "ContentDisposition" in want:
            assert got["ContentDisposition"] == want["ContentDisposition"], key


def _etcdctl(cluster: AllInOne, *args: str) -> str:
    done = subprocess.run(
        ["etcdctl", f"--endpoints={','.join(cluster.etcd_endpoints)}", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "ETCDCTL_API": "3"},
        timeout=60,
    )
    assert done.returncode == 0, f"etcdctl {args}: {done.stderr}"
    return done.stdout


def _lose_meta(cluster: AllInOne, cluster_id: str = "") -> None:
    """Stop every meta instance, delete the whole metadata (see the module docstring), start
    fresh instances (with ``cluster_id``)."""
    metas = [cluster.daemons[name] for name in cluster.meta_names]
    for meta in metas:
        meta.stop()
    for name in cluster.meta_names:
        shutil.rmtree(cluster.data_dir / name, ignore_errors=True)
    if cluster.meta_backend == "etcd":
        assert int(_etcdctl(cluster, "del", "--prefix", ETCD_PREFIX).strip()) > 0
        assert _etcdctl(cluster, "get", "--prefix", "--keys-only", ETCD_PREFIX).strip() == ""
    for meta in metas:
        meta.env.pop("OBJECTIO_META_CLUSTER_ID", None)
        if cluster_id:
            meta.env["OBJECTIO_META_CLUSTER_ID"] = cluster_id
        meta.start()
    for meta in metas:
        meta.wait_ready()


def _wait_osds_up(cluster: AllInOne, timeout_seconds: float = 60) -> None:
    deadline = time.monotonic() + timeout_seconds
    while True:
        status = _cli(cluster, "status")
        if status["osds_up"] == cluster.osds:
            return
        assert time.monotonic() < deadline, f"OSDs did not rejoin: {status}"
        time.sleep(0.5)


@pytest.fixture(params=["sqlite", "etcd"])
def dr_cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AllInOne]:
    if request.param == "sqlite":
        running = start_cluster(tmp_path / "aio")
        yield running
        running.stop()
        return
    etcd = start_etcd_cluster(tmp_path / "etcd")
    try:
        running = start_cluster(tmp_path / "aio", meta_backend="etcd", etcd_endpoints=etcd.endpoints, metas=ETCD_METAS)
        yield running
        running.stop()
    finally:
        etcd.stop()


def test_rebuild_from_the_osds_alone(dr_cluster: AllInOne) -> None:
    """An old backup restores users and keys (and the cluster id); the rebuild brings back every
    object written since, byte-exact with its size, ETag, content type and metadata."""
    cluster = dr_cluster
    _cli(cluster, "user", "create", "alice")
    old_backup = cluster.data_dir / "old.bak"
    assert _cli(cluster, "meta", "backup", str(old_backup))["items"] > 0
    s3: Any = s3_client(cluster)
    expected = _write_objects(s3)
    s3.create_bucket(Bucket="second")
    s3.put_object(Bucket="second", Key="k", Body=b"in another bucket")

    _lose_meta(cluster)
    restored = _cli(cluster, "meta", "restore", str(old_backup))
    assert restored["imported"] > 0
    _wait_osds_up(cluster)  # the restored cluster id lets the OSDs rejoin
    rebuilt = _cli(cluster, "meta", "rebuild")
    assert rebuilt["objects"] == len(expected) + 1 and rebuilt["keys_unrecoverable"] == [], rebuilt
    assert rebuilt["buckets"] == 2, rebuilt

    cluster.restart("gateway")  # drop its caches of the lost store
    _check_objects(s3, expected)
    assert s3.get_object(Bucket="second", Key="k")["Body"].read() == b"in another bucket"
    assert "alice" in {user["name"] for user in _cli_list(cluster, "user", "list")}


def test_rebuild_without_a_backup(dr_cluster: AllInOne) -> None:
    """With no backup at all: meta.cluster_id lets the OSDs rejoin; the aio root user remains."""
    cluster = dr_cluster
    cluster_id = _cli(cluster, "status")["cluster_id"]
    s3: Any = s3_client(cluster)
    expected = _write_objects(s3)

    _lose_meta(cluster, cluster_id)
    _wait_osds_up(cluster)
    rebuilt = _cli(cluster, "meta", "rebuild")
    assert rebuilt["objects"] == len(expected) and rebuilt["osds_unreachable"] == {}, rebuilt
    again = _cli(cluster, "meta", "rebuild")  # idempotent: nothing newer to store
    assert again["imported"] == 0 and again["skipped"] == again["objects"] + again["buckets"], again

    cluster.restart("gateway")
    _check_objects(s3, expected)


def test_backup_then_restore(dr_cluster: AllInOne) -> None:
    cluster = dr_cluster
    _cli(cluster, "user", "create", "bob")
    s3: Any = s3_client(cluster)
    expected = _write_objects(s3)
    backup = cluster.data_dir / "meta.bak"
    written = _cli(cluster, "meta", "backup", str(backup))

    _lose_meta(cluster)
    restored = _cli(cluster, "meta", "restore", str(backup))
    assert restored["items"] == written["items"] and restored["imported"] > len(expected), restored
    _wait_osds_up(cluster)
    cluster.restart("gateway")
    _check_objects(s3, expected)
    assert "bob" in {user["name"] for user in _cli_list(cluster, "user", "list")}
