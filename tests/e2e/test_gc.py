"""Orphan fragments (no object record points to them) are reclaimed by the OSDs' collector,
and fragments of live objects (every version of a versioned bucket too) are left alone."""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from grpc import aio

from objectio.cli.aio import AllInOne, free_port
from objectio.common.grpcutil import call_metadata
from objectio.common.shardkey import new_object_id
from objectio.meta.client import MetaClient
from objectio.protos import meta_pb2, osd_pb2, osd_pb2_grpc
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
        s3.create_bucket(Bucket="gc-versions")  # an older version's fragments are live too
        s3.put_bucket_versioning(Bucket="gc-versions", VersioningConfiguration={"Status": "Enabled"})
        old = s3.put_object(Bucket="gc-versions", Key="k", Body=body[::-1])["VersionId"]
        s3.put_object(Bucket="gc-versions", Key="k", Body=body)
        s3.delete_object(Bucket="gc-versions", Key="k")  # and a delete marker on top
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
        assert s3.get_object(Bucket="gc-versions", Key="k", VersionId=old)["Body"].read() == body[::-1]
    finally:
        cluster.stop()


async def _shard_count(cluster: AllInOne, object_id: bytes) -> int:
    total = 0
    for index in range(len(cluster.osd_ports)):
        reply = await _osd_call(cluster, index, "ListShards", osd_pb2.ListShardsRequest(prefix=object_id))
        total += len(reply.shards)
    return total


async def _part_ids(cluster: AllInOne, bucket: str, key: str, upload_id: str) -> list[bytes]:
    meta = await MetaClient.connect(cluster.meta_address, cluster.credentials.cluster_token)
    try:
        reply = await meta.list_parts(meta_pb2.UploadName(bucket=bucket, key=key, upload_id=upload_id))
        return [p.object_id for p in reply.parts]
    finally:
        await meta.close()


def test_multipart_parts_survive_gc_until_their_upload_expires(tmp_path: Path) -> None:
    env = {
        "OBJECTIO_OSD_GC_GRACE_MS": "2000",
        "OBJECTIO_OSD_GC_INTERVAL_MS": "500",
        "OBJECTIO_META_MULTIPART_UPLOAD_EXPIRY_SECONDS": "12",
        "OBJECTIO_META_MULTIPART_EXPIRY_INTERVAL_SECONDS": "1",
    }
    cluster = AllInOne(tmp_path / "aio", port=free_port(), osds=6, disk_size_bytes=DISK_SIZE_BYTES, extra_env=env)
    cluster.start()
    try:
        s3: Any = s3_client(cluster)
        s3.create_bucket(Bucket="gc-mp")
        rng = random.Random(2)
        pending = s3.create_multipart_upload(Bucket="gc-mp", Key="pending")["UploadId"]
        s3.upload_part(Bucket="gc-mp", Key="pending", UploadId=pending, PartNumber=1, Body=rng.randbytes(3 << 20))
        (pending_id,) = asyncio.run(_part_ids(cluster, "gc-mp", "pending", pending))
        parts = [rng.randbytes(5 << 20), rng.randbytes(1000)]
        done = s3.create_multipart_upload(Bucket="gc-mp", Key="done")["UploadId"]
        etags = [
            s3.upload_part(Bucket="gc-mp", Key="done", UploadId=done, PartNumber=n + 1, Body=body)["ETag"]
            for n, body in enumerate(parts)
        ]
        s3.complete_multipart_upload(
            Bucket="gc-mp", Key="done", UploadId=done,
            MultipartUpload={"Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]},
        )  # fmt: skip
        time.sleep(5)  # every fragment is past the collector's grace; it ran several times
        assert asyncio.run(_shard_count(cluster, pending_id)) == 6
        assert s3.get_object(Bucket="gc-mp", Key="done")["Body"].read() == b"".join(parts)
        deadline = time.monotonic() + 30  # the upload expires; its part becomes an orphan
        while asyncio.run(_shard_count(cluster, pending_id)) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert asyncio.run(_shard_count(cluster, pending_id)) == 0, "the expired upload's part was not collected"
        with pytest.raises(ClientError) as excinfo:
            s3.list_parts(Bucket="gc-mp", Key="pending", UploadId=pending)
        assert excinfo.value.response["Error"]["Code"] == "NoSuchUpload"
        assert s3.get_object(Bucket="gc-mp", Key="done")["Body"].read() == b"".join(parts)
    finally:
        cluster.stop()


def _wait_gone(cluster: AllInOne, object_id: bytes, timeout_seconds: float = 15) -> None:
    deadline = time.monotonic() + timeout_seconds
    while asyncio.run(_shard_count(cluster, object_id)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert asyncio.run(_shard_count(cluster, object_id)) == 0, f"fragments of {object_id.hex()} left behind"


def test_parts_that_stop_being_used_are_deleted_at_once(cluster: AllInOne) -> None:
    """Replaced, unlisted, aborted parts and the parts of a replaced multipart object: deleted in
    the background by the gateway, without waiting for the orphan collector."""
    s3: Any = s3_client(cluster)
    s3.create_bucket(Bucket="mp-garbage")
    rng = random.Random(4)
    upload = s3.create_multipart_upload(Bucket="mp-garbage", Key="k")["UploadId"]

    def put(number: int) -> str:
        reply = s3.upload_part(
            Bucket="mp-garbage", Key="k", UploadId=upload, PartNumber=number, Body=rng.randbytes(1 << 20)
        )
        etag: str = reply["ETag"]
        return etag

    put(1)
    (first,) = asyncio.run(_part_ids(cluster, "mp-garbage", "k", upload))
    etag = put(1)
    _wait_gone(cluster, first)
    put(2)
    kept, unlisted = asyncio.run(_part_ids(cluster, "mp-garbage", "k", upload))
    assert asyncio.run(_shard_count(cluster, kept)) == 6
    s3.complete_multipart_upload(
        Bucket="mp-garbage", Key="k", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    _wait_gone(cluster, unlisted)
    assert asyncio.run(_shard_count(cluster, kept)) == 6
    s3.put_object(Bucket="mp-garbage", Key="k", Body=b"plain")
    _wait_gone(cluster, kept)
    upload = s3.create_multipart_upload(Bucket="mp-garbage", Key="k")["UploadId"]
    put(1)
    (aborted,) = asyncio.run(_part_ids(cluster, "mp-garbage", "k", upload))
    s3.abort_multipart_upload(Bucket="mp-garbage", Key="k", UploadId=upload)
    _wait_gone(cluster, aborted)
