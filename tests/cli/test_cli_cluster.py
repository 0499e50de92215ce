"""objectio-cli against a whole all-in-one cluster: real OSDs, objects written through S3."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from objectio.cli.aio import AllInOne
from tests.cli.conftest import OSDS, run_cli


def _s3(cluster: AllInOne, access_key: str, secret_key: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=cluster.endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"}),
    )


def test_status_and_osds_of_a_running_cluster(cluster: AllInOne) -> None:
    status = run_cli(cluster.data_dir, "status", "--json").data
    assert status["osds_up"] == OSDS and status["osds_in"] == OSDS and status["capacity_bytes"] > 0
    osds = run_cli(cluster.data_dir, "osd", "list", "--json").data
    assert len(osds) == OSDS and all(o["up"] and o["capacity_bytes"] > 0 for o in osds)


def test_object_stat_of_objects_written_through_s3(cluster: AllInOne) -> None:
    creds = cluster.credentials
    s3 = _s3(cluster, creds.access_key, creds.secret_key)
    s3.create_bucket(Bucket="stat-me")
    s3.put_object(Bucket="stat-me", Key="tiny", Body=b"hello")
    s3.put_object(Bucket="stat-me", Key="large", Body=bytes(range(256)) * 8192)  # 2 MiB: erasure coded
    tiny = run_cli(cluster.data_dir, "object", "stat", "stat-me", "tiny", "--json").data
    assert tiny["inline"] is True and tiny["size"] == 5
    large = run_cli(cluster.data_dir, "object", "stat", "stat-me", "large", "--json").data
    assert large["inline"] is False and large["size"] == 2 << 20 and large["stripes"]
    osd_ids = {o["id"] for o in run_cli(cluster.data_dir, "osd", "list", "--json").data}
    for stripe in large["stripes"]:
        assert len(stripe["fragments"]) == 6  # rs-4-2
        assert {f["osd_id"] for f in stripe["fragments"]} <= osd_ids
    stats = run_cli(cluster.data_dir, "bucket", "stats", "stat-me", "--json").data
    assert (stats["objects"], stats["bytes"], stats["inline_objects"]) == (2, 5 + (2 << 20), 1)


def test_revoked_key_fails_s3_auth(cluster: AllInOne) -> None:
    d = cluster.data_dir
    user = run_cli(d, "user", "create", "bob", "--json").data
    key = user["key"]
    s3 = _s3(cluster, key["access_key"], key["secret_key"])
    s3.create_bucket(Bucket="bobs")
    run_cli(d, "key", "revoke", key["access_key"])
    deadline = time.monotonic() + 30  # gateways cache keys for access_key_cache_seconds
    while True:
        try:
            s3.list_objects_v2(Bucket="bobs")
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "InvalidAccessKeyId"
            break
        if time.monotonic() > deadline:
            pytest.fail("a revoked key still authenticates after 30 s")
        time.sleep(0.5)


def test_bench(cluster: AllInOne) -> None:
    run = run_cli(cluster.data_dir, "bench", "--endpoint", cluster.endpoint, "--objects", "20", "--size", "32KiB",
                  "--threads", "4", "--json")  # fmt: skip
    phases = {p["op"]: p for p in run.data["phases"]}
    assert phases["PUT"]["ops"] == 20 and phases["GET"]["ops"] == 20
    assert phases["GET"]["errors"] == 0 and phases["GET"]["mib_per_second"] > 0
    human = run_cli(cluster.data_dir, "bench", "--endpoint", cluster.endpoint, "--objects", "5", "--size", "4k")
    assert "p99 ms" in human.stdout
