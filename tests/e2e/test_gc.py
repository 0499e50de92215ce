"""Orphan fragments (no object record points to them) are reclaimed by the OSDs' collector,
and fragments of live objects are left alone."""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path
from typing import Any

import pytest
from grpc import aio

from objectio.cli.aio import AllInOne, free_port
from objectio.common.grpcutil import call_metadata
from objectio.common.shardkey import new_object_id
from objectio.protos import osd_pb2, osd_pb2_grpc
from tests.e2e.conftest import DISK_SIZE_BYTES, s3_client

pytestmark = pytest.mark.e2e


async def _osd_call(cluster: AllInOne, index: int, method: str, request: Any) -> Any:
    async with aio.insecure_channel(f"127.0.0.1:{cluster.osd_ports[index]}") as channel:
        stub = osd_pb2_grpc.OsdServiceStub(channel)
        return await getattr(stub, method)(request, metadata=call_metadata(cluster.credentials.cluster_token))


def test_orphans_are_collected_and_live_fragments_kept(tmp_path: Path) -> None:
    env = {"OBJECTIO_OSD_GC_GRACE_MS": "2000", "OBJECTIO_OSD_GC_INTERVAL_MS": "500"}
    cluster = AllInOne(tmp_path / "aio", port=free_port(), osds=6, disk_size_bytes=DISK_SIZE_BYTES, extra_env=env)
    cluster.start()
    try:
        s3: Any = s3_client(cluster)
        s3.create_bucket(Bucket="gc-test")
        body = random.Random(1).randbytes(3 << 20)
        s3.put_object(Bucket="gc-test", Key="live", Body=body)
        orphan = new_object_id(now_ms=int(time.time() * 1000) - 10_000)  # as if a PUT died 10 s ago
        shard = osd_pb2.ShardWrite(
            address=osd_pb2.ShardAddress(object_id=orphan, stripe_index=0, fragment_index=2), data=b"o" * 4096
        )
        asyncio.run(_osd_call(cluster, 0, "WriteShards", osd_pb2.WriteShardsRequest(shards=[shard])))

        def orphan_count() -> int:
            reply = asyncio.run(_osd_call(cluster, 0, "ListShards", osd_pb2.ListShardsRequest(prefix=orphan)))
            return len(reply.shards)

        assert orphan_count() == 1
        deadline = time.monotonic() + 30
        while orphan_count() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert orphan_count() == 0, "orphan fragment was not collected"
        time.sleep(3)  # the live object's fragments are now older than the grace period too
        assert s3.get_object(Bucket="gc-test", Key="live")["Body"].read() == body
    finally:
        cluster.stop()
