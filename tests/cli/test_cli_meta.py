"""objectio-cli against a real metadata service (the all-in-one's meta daemon, no OSDs/gateway).

OSDs and object records are registered through meta's own RPCs, so every admin command and its
JSON output is checked without the data path.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from objectio.cli.aio import AllInOne
from objectio.cli.errors import EXIT_FAILED, EXIT_UNREACHABLE
from objectio.common.grpcutil import call_metadata
from objectio.protos import meta_pb2, meta_pb2_grpc
from tests.cli.conftest import run_cli


@pytest.fixture(scope="module")
def meta(meta_only: AllInOne) -> Iterator[Any]:
    with grpc.insecure_channel(meta_only.meta_address) as channel:
        stub = meta_pb2_grpc.MetaServiceStub(channel)
        md = call_metadata(meta_only.credentials.cluster_token)

        class Call:
            def __getattr__(self, name: str) -> Any:
                return lambda request: getattr(stub, name)(request, metadata=md, timeout=10)

        yield Call()


@pytest.fixture(scope="module")
def osd_ids(meta: Any) -> list[int]:
    ids = []
    for index in range(6):
        reply = meta.RegisterOsd(
            meta_pb2.RegisterOsdRequest(
                address=f"127.0.0.1:{7000 + index}", host=f"h{index % 3}", disk=f"/dev/fake{index}",
                disk_uuid=os.urandom(16).hex(), capacity_bytes=1 << 30, used_bytes=index << 20,
            )
        )  # fmt: skip
        ids.append(reply.osd_id)
    return ids


def test_status(meta_only: AllInOne, osd_ids: list[int]) -> None:
    data = run_cli(meta_only.data_dir, "status", "--json").data
    assert data["osds_total"] == 6 and data["osds_up"] == 6 and data["osds_in"] == 6
    assert data["capacity_bytes"] == 6 << 30 and data["used_bytes"] == 15 << 20
    assert {p["name"] for p in data["pools"]} >= {"rs-4-2", "rs-8-4", "lrc-8-2-2"}
    human = run_cli(meta_only.data_dir, "status")
    assert "6 total, 6 up, 6 in" in human.stdout and "degraded stripes" in human.stdout


def test_osd_list_show_out_in(meta_only: AllInOne, osd_ids: list[int]) -> None:
    listing = run_cli(meta_only.data_dir, "osd", "list", "--json").data
    assert sorted(o["id"] for o in listing) == sorted(osd_ids) and all(o["up"] for o in listing)
    target = osd_ids[-1]
    shown = run_cli(meta_only.data_dir, "osd", "show", str(target), "--json").data
    assert shown["disk"] == "/dev/fake5" and shown["host"] == "h2"
    run_cli(meta_only.data_dir, "osd", "out", str(target))
    assert run_cli(meta_only.data_dir, "osd", "show", str(target), "--json").data["in"] is False
    run_cli(meta_only.data_dir, "osd", "in", str(target))
    assert run_cli(meta_only.data_dir, "osd", "show", str(target), "--json").data["in"] is True
    missing = run_cli(meta_only.data_dir, "osd", "show", "999", check=False)
    assert missing.returncode == EXIT_FAILED and missing.stderr.strip() == "objectio-cli: osd 999 does not exist"
    # No repair scan completes within the limit here (its interval is a minute): drain gives up
    # cleanly, having marked the OSD out (tests/e2e/test_repair.py drains a real one).
    drain = run_cli(
        meta_only.data_dir, "osd", "drain", str(target), "--max-seconds", "1", "--interval", "0.2", check=False
    )
    assert drain.returncode == EXIT_FAILED and "not drained after" in drain.stderr
    assert run_cli(meta_only.data_dir, "osd", "show", str(target), "--json").data["in"] is False
    run_cli(meta_only.data_dir, "osd", "in", str(target))


def test_pools(meta_only: AllInOne) -> None:
    created = run_cli(meta_only.data_dir, "pool", "create", "cold", "--type", "lrc", "-k", "6", "-m", "4",
                      "--local-groups", "2", "--stripe-unit-bytes", "65536", "--json").data  # fmt: skip
    assert created["failure_tolerance"] == 3 and created["fragments"] == 10
    shown = run_cli(meta_only.data_dir, "pool", "show", "rs-4-2", "--json").data
    assert (shown["k"], shown["m"], shown["failure_tolerance"], shown["default"]) == (4, 2, 2, True)
    assert "cold" in {p["name"] for p in run_cli(meta_only.data_dir, "pool", "list", "--json").data}
    human = run_cli(meta_only.data_dir, "pool", "show", "cold")
    assert "survives the loss of any 3 of its 10 fragments" in human.stdout
    again = run_cli(meta_only.data_dir, "pool", "create", "cold", "--type", "rs_vand", "-k", "4", "-m", "2",
                    check=False)  # fmt: skip
    assert again.returncode != 0 and len(again.stderr.strip().splitlines()) == 1


def test_buckets_and_stats(meta_only: AllInOne, meta: Any, osd_ids: list[int]) -> None:
    d = meta_only.data_dir
    bucket = run_cli(d, "bucket", "create", "photos", "--json").data
    assert bucket["owner"] == "admin"  # the user of the data dir's access key
    run_cli(d, "bucket", "create", "cold-photos", "--owner", "admin", "--pool", "rs-8-4")
    assert {"photos", "cold-photos"} <= {b["name"] for b in run_cli(d, "bucket", "list", "--json").data}
    for i in range(5):
        record = meta_pb2.ObjectRecord(bucket="photos", key=f"k{i}", size=10 + i, etag="e", is_inline=True,
                                       inline_data=b"x" * (10 + i))  # fmt: skip
        meta.PutObject(meta_pb2.PutObjectRequest(record=record))
    stats = run_cli(d, "bucket", "stats", "photos", "--json").data
    assert (stats["objects"], stats["bytes"], stats["inline_objects"]) == (5, 60, 5)
    unknown = run_cli(d, "bucket", "stats", "no-such-bucket", check=False)
    assert unknown.returncode == EXIT_FAILED and len(unknown.stderr.strip().splitlines()) == 1
    assert "no-such-bucket" in unknown.stderr and "Traceback" not in unknown.stderr
    not_empty = run_cli(d, "bucket", "delete", "photos", check=False)
    assert not_empty.returncode == EXIT_FAILED
    run_cli(d, "bucket", "delete", "cold-photos")
    assert "cold-photos" not in {b["name"] for b in run_cli(d, "bucket", "list", "--json").data}


def test_object_stat_inline_and_erasure_coded(meta_only: AllInOne, meta: Any, osd_ids: list[int]) -> None:
    d = meta_only.data_dir
    run_cli(d, "bucket", "create", "objs")
    meta.PutObject(meta_pb2.PutObjectRequest(record=meta_pb2.ObjectRecord(
        bucket="objs", key="small", size=3, etag="abc", is_inline=True, inline_data=b"abc")))  # fmt: skip
    stripes = [meta_pb2.StripePlacement(osd_ids=osd_ids, length=4 * (65536 - 80)) for _ in range(2)]
    stripes[1].osd_ids[5] = 0  # a degraded write left fragment 5 of stripe 1 unwritten
    meta.PutObject(meta_pb2.PutObjectRequest(record=meta_pb2.ObjectRecord(
        bucket="objs", key="big", size=8 * (65536 - 80), etag="def", pool="rs-4-2", object_id=os.urandom(16),
        stripes=stripes)))  # fmt: skip
    small = run_cli(d, "object", "stat", "objs", "small", "--json").data
    assert small["inline"] is True and small["size"] == 3 and small["stripes"] == []
    big = run_cli(d, "object", "stat", "objs", "big", "--json").data
    assert big["inline"] is False and big["pool"] == "rs-4-2" and len(big["stripes"]) == 2
    assert [f["osd_id"] for f in big["stripes"][0]["fragments"]] == osd_ids
    assert [f["role"] for f in big["stripes"][0]["fragments"]] == ["data"] * 4 + ["parity"] * 2
    assert big["missing_fragments"] == 1 and big["stripes"][1]["fragments"][5]["missing"]
    human = run_cli(d, "object", "stat", "objs", "big").stdout
    assert f"osd {osd_ids[0]}" in human and "missing" in human
    gone = run_cli(d, "object", "stat", "objs", "nope", check=False)
    assert gone.returncode == EXIT_FAILED and len(gone.stderr.strip().splitlines()) == 1


def test_users_and_keys(meta_only: AllInOne) -> None:
    d = meta_only.data_dir
    created = run_cli(d, "user", "create", "alice", "--json").data
    assert created["name"] == "alice" and created["key"]["secret_key"]
    extra = run_cli(d, "key", "create", "alice", "--access-key", "ALICEKEY2", "--secret-key", "s" * 40,
                    "--json").data  # fmt: skip
    assert extra["access_key"] == "ALICEKEY2"
    keys = run_cli(d, "key", "list", "alice", "--json").data
    assert {k["access_key"] for k in keys} == {created["key"]["access_key"], "ALICEKEY2"}
    assert all("secret_key" not in k for k in keys)
    assert "alice" in {u["name"] for u in run_cli(d, "user", "list", "--json").data}
    run_cli(d, "key", "revoke", "ALICEKEY2")
    assert {k["access_key"] for k in run_cli(d, "key", "list", "alice", "--json").data} == {
        created["key"]["access_key"]
    }
    half = run_cli(d, "key", "create", "alice", "--access-key", "ONLYONE", check=False)
    assert half.returncode == 2


def test_repair_and_scrub_on_an_idle_cluster(meta_only: AllInOne) -> None:
    d = meta_only.data_dir
    status = run_cli(d, "repair", "status", "--json").data
    assert status["lost_osd_ids"] == [] and status["bytes_per_second_max"] > 0
    watched = run_cli(d, "repair", "watch", "--interval", "0.1", "--max-seconds", "1", "--json").data
    assert watched["degraded_stripes"] == status["degraded_stripes"]  # other tests' records: no OSD to repair to
    assert "pending stripes" in run_cli(d, "repair", "status").stdout
    assert run_cli(d, "scrub", "start", "--json").data == []  # no OSD is up in this cluster
    assert run_cli(d, "scrub", "status", "--json").data == []


def test_wrong_token_is_reported(meta_only: AllInOne) -> None:
    run = run_cli(meta_only.data_dir, "status", env={"OBJECTIO_CLUSTER_TOKEN": "wrong"}, check=False)
    assert run.returncode == EXIT_UNREACHABLE and "rejected the cluster token" in run.stderr
