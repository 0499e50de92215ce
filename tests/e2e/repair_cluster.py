"""Helpers of the repair and scrub fault tests: a cluster with short repair timers, records and
fragment listings read straight from meta and the OSDs."""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from grpc import aio

from objectio.cli.aio import AllInOne, free_port
from objectio.common.grpcutil import call_metadata, channel_options
from objectio.common.shardkey import DESCRIPTOR_STRIPE
from objectio.meta.client import MetaClient
from objectio.protos import meta_pb2, osd_pb2, osd_pb2_grpc

DISK_SIZE_BYTES = 1 << 30  # sparse files
FAST_REPAIR_ENV = {
    "OBJECTIO_META_HEARTBEAT_INTERVAL_MS": "500",
    "OBJECTIO_OSD_HEARTBEAT_INTERVAL_MS": "500",
    "OBJECTIO_META_OSD_DOWN_GRACE_MS": "3000",  # generous: a loaded machine stalls heartbeats
    "OBJECTIO_META_REPAIR_GRACE_MS": "2000",
    "OBJECTIO_META_REPAIR_SCAN_INTERVAL_MS": "2000",
}


def start_repair_cluster(data_dir: Path, osds: int = 8, env: dict[str, str] | None = None) -> AllInOne:
    cluster = AllInOne(
        data_dir,
        port=free_port(),
        osds=osds,
        disk_size_bytes=DISK_SIZE_BYTES,
        extra_env={**FAST_REPAIR_ENV, **(env or {})},
    )
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster


def body_of(key: str, size: int) -> bytes:
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    return random.Random(seed).randbytes(size)


class ReachesMeta(Protocol):
    """A running cluster of any shape: the all-in-one, or the multi-host one of tests/netns."""

    @property
    def meta_address(self) -> str: ...

    @property
    def credentials(self) -> Any: ...


def run(cluster: ReachesMeta, fn: Callable[[MetaClient], Any]) -> Any:
    async def go() -> Any:
        meta = await MetaClient.connect(cluster.meta_address, cluster.credentials.cluster_token)
        try:
            return await fn(meta)
        finally:
            await meta.close()

    return asyncio.run(go())


def records(cluster: ReachesMeta, bucket: str, keys: list[str]) -> dict[str, meta_pb2.ObjectRecord]:
    async def get(meta: MetaClient) -> dict[str, meta_pb2.ObjectRecord]:
        return {key: await meta.get_object(bucket, key) for key in keys}

    result: dict[str, meta_pb2.ObjectRecord] = run(cluster, get)
    return result


def osd_ids_by_daemon(cluster: AllInOne) -> dict[str, int]:
    """Daemon name (osd0...) -> OSD id, matched through the listen port."""
    cmap: meta_pb2.ClusterMap = run(cluster, lambda meta: meta.get_cluster_map())
    by_address = {osd.address: osd.id for osd in cmap.osds}
    return {f"osd{i}": by_address[f"{cluster.host}:{port}"] for i, port in enumerate(cluster.osd_ports)}


def all_stripes(record: meta_pb2.ObjectRecord) -> list[tuple[str, int, meta_pb2.StripePlacement]]:
    """(part label, stripe index, placement) of an object's own stripes and of its parts' stripes."""
    out = [("", i, s) for i, s in enumerate(record.stripes)]
    for part in record.parts:
        out.extend((f"/part{part.part_number}", i, s) for i, s in enumerate(part.stripes))
    return out


def unhealthy_stripes(recs: dict[str, meta_pb2.ObjectRecord], dead: set[int]) -> list[str]:
    """Stripes (of objects and of their multipart parts) not at k+m live fragments: 'key#stripe: osd ids'."""
    bad = []
    for key, record in recs.items():
        for part, index, stripe in all_stripes(record):
            if any(osd_id == 0 or osd_id in dead for osd_id in stripe.osd_ids):
                bad.append(f"{key}{part}#{index}: {list(stripe.osd_ids)}")
    return bad


def upload_parts(cluster: AllInOne, bucket: str, key: str, upload_id: str) -> list[meta_pb2.PartLayout]:
    """The stored parts of an upload in progress, straight from meta."""

    async def get(meta: MetaClient) -> list[meta_pb2.PartLayout]:
        reply = await meta.list_parts(meta_pb2.UploadName(bucket=bucket, key=key, upload_id=upload_id))
        return list(reply.parts)

    result: list[meta_pb2.PartLayout] = run(cluster, get)
    return result


def wait_until(what: str, check: Callable[[], list[str]], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    problems = check()
    while problems:
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached after {timeout_s:.0f} s; still: {problems[:10]}")
        time.sleep(0.5)
        problems = check()


def list_shards(cluster: AllInOne, daemon: str, prefix: bytes = b"") -> list[osd_pb2.ShardStat]:
    """Every fragment on one OSD (ListShards pages; descriptor copies are no fragments)."""
    port = cluster.osd_ports[int(daemon.removeprefix("osd"))]

    async def go() -> list[osd_pb2.ShardStat]:
        async with aio.insecure_channel(f"{cluster.host}:{port}", options=channel_options()) as ch:
            stub = osd_pb2_grpc.OsdServiceStub(ch)
            out: list[osd_pb2.ShardStat] = []
            start = b""
            while True:
                reply = await stub.ListShards(
                    osd_pb2.ListShardsRequest(start_after=start, limit=1000, prefix=prefix),
                    metadata=call_metadata(cluster.credentials.cluster_token),
                    timeout=30,
                )
                out.extend(s for s in reply.shards if s.address.stripe_index != DESCRIPTOR_STRIPE)
                if not reply.next_start_after:
                    return out
                start = reply.next_start_after

    result: list[osd_pb2.ShardStat] = asyncio.run(go())
    return result
