"""The multipart RPCs through a real server and MetaClient: validation, NOT_FOUND naming the
upload, completion against stale parts, and the references FindUnreferenced sees."""

from __future__ import annotations

import pytest

from objectio.meta.client import MetaInvalidArgument, MetaNotFound, MetaPreconditionFailed
from objectio.protos import meta_pb2 as pb
from tests.meta.conftest import Running


def layout(number: int, object_id: bytes, size: int = 8, fragments: int = 6) -> pb.PartLayout:
    part = pb.PartLayout(part_number=number, object_id=object_id, size=size, etag=f"{number:032x}")
    part.stripes.add(osd_ids=list(range(1, fragments + 1)), length=size)
    return part


async def test_multipart_rpcs(meta: Running) -> None:
    client = meta.client
    await client.create_user("carol")
    await client.create_bucket("mpb", "carol")
    upload = await client.create_multipart_upload(pb.MultipartUpload(bucket="mpb", key="k", owner="carol"))
    assert upload.pool == "rs-4-2" and upload.initiated_ns > 0
    name = pb.UploadName(bucket="mpb", key="k", upload_id=upload.upload_id)
    assert (await client.get_multipart_upload(name)).owner == "carol"
    for bad in (
        layout(0, b"a" * 16),
        layout(10_001, b"a" * 16),
        layout(1, b"short"),
        layout(1, b"a" * 16, fragments=5),
    ):
        with pytest.raises(MetaInvalidArgument):
            await client.put_part(name, bad)
    assert not (await client.put_part(name, layout(1, b"a" * 16))).has_replaced
    assert (await client.put_part(name, layout(1, b"b" * 16))).replaced.object_id == b"a" * 16
    await client.put_part(name, layout(2, b"c" * 16))
    assert (await client.find_unreferenced([b"a" * 16, b"b" * 16, b"c" * 16])).object_ids == [b"a" * 16]
    listed = await client.list_parts(name, max_parts=1)
    assert [p.part_number for p in listed.parts] == [1] and listed.is_truncated

    record = pb.ObjectRecord(bucket="mpb", key="k", size=8, etag="x-1", object_id=b"r" * 16, pool="rs-4-2")
    with pytest.raises(MetaInvalidArgument):
        await client.put_object(pb.ObjectRecord(bucket="mpb", key="k", size=8, etag="x", object_id=b"r" * 16,
                                                parts=[layout(1, b"b" * 16)]))  # fmt: skip
    stale = pb.ObjectRecord()
    stale.CopyFrom(record)
    stale.parts.append(layout(1, b"a" * 16))
    with pytest.raises(MetaPreconditionFailed):
        await client.complete_multipart_upload(name, stale)
    record.parts.append(layout(1, b"b" * 16))
    reply = await client.complete_multipart_upload(name, record)
    assert not reply.has_replaced and [p.object_id for p in reply.discarded] == [b"c" * 16]
    assert [p.object_id for p in (await client.get_object("mpb", "k")).parts] == [b"b" * 16]
    with pytest.raises(MetaNotFound) as exc:
        await client.abort_multipart_upload(name)
    assert exc.value.what == "upload"
    with pytest.raises(MetaNotFound) as exc:
        await client.list_parts(pb.UploadName(bucket="nope", key="k", upload_id="x"))
    assert exc.value.what == "bucket"
    listing = await client.list_multipart_uploads(pb.ListMultipartUploadsRequest(bucket="mpb"))
    assert not listing.uploads and not listing.is_truncated
