"""The version and tag RPCs through a real grpc.aio server: validation of the versioning setting,
version ids and tags, NOT_FOUND naming a missing version, delete markers over the wire,
ListObjectVersions paging and PutObjectTags."""

from __future__ import annotations

import pytest

from objectio.meta.client import MetaInvalidArgument, MetaNotFound, MetaPreconditionFailed
from objectio.meta.versions import is_version_id
from objectio.protos import meta_pb2 as pb
from tests.meta.conftest import Running, record


async def test_versioning_setting_is_validated(meta: Running) -> None:
    client = meta.client
    await client.create_bucket("ver", "admin")
    for bad in (b"enabled", b"Off", b""):
        with pytest.raises(MetaInvalidArgument):
            await client.put_bucket_setting("ver", "versioning", bad)
    await client.put_bucket_setting("ver", "versioning", b"Enabled")
    with pytest.raises(MetaInvalidArgument):  # a versioned bucket never becomes unversioned
        await client.put_bucket_setting("ver", "versioning", None)
    assert (await client.put_bucket_setting("ver", "versioning", b"Suspended")).settings["versioning"] == b"Suspended"


async def test_versions_over_the_wire(meta: Running) -> None:
    client = meta.client
    await client.create_bucket("ver", "admin")
    await client.put_bucket_setting("ver", "versioning", b"Enabled")
    chosen = record("ver", "k")
    chosen.version_id = "x"
    with pytest.raises(MetaInvalidArgument):  # ids are meta's to assign
        await client.put_object(chosen)
    first = await client.put_object(record("ver", "k"))
    second = await client.put_object(record("ver", "k"))
    assert is_version_id(first.version_id) and not second.has_replaced
    assert (await client.get_object("ver", "k", first.version_id)).version_id == first.version_id
    with pytest.raises(MetaInvalidArgument):
        await client.get_object("ver", "k", "bogus")
    with pytest.raises(MetaNotFound) as missing:
        await client.get_object("ver", "k", "0" * 24)
    assert missing.value.what == "version"
    marker = await client.delete_object("ver", "k")
    assert marker.delete_marker and is_version_id(marker.version_id)
    latest = await client.get_object("ver", "k")
    assert latest.delete_marker and latest.version_id == marker.version_id
    with pytest.raises(MetaPreconditionFailed):
        await client.put_object_tags("ver", "k", "", {"a": "b"})
    tagged = await client.put_object_tags("ver", "k", first.version_id, {"a": "b"})
    assert tagged.version_id == first.version_id
    with pytest.raises(MetaInvalidArgument):
        await client.put_object_tags("ver", "k", first.version_id, {f"k{i}": "v" for i in range(11)})
    page = await client.list_object_versions(pb.ListObjectVersionsRequest(bucket="ver", max_keys=2))
    assert [v.record.version_id for v in page.versions] == [marker.version_id, second.version_id]
    assert [v.is_latest for v in page.versions] == [True, False] and page.versions[0].record.delete_marker
    assert page.is_truncated and page.next_version_id_marker == second.version_id
    rest = await client.list_object_versions(
        pb.ListObjectVersionsRequest(bucket="ver", key_marker="k", version_id_marker=page.next_version_id_marker)
    )
    assert [v.record.version_id for v in rest.versions] == [first.version_id] and not rest.is_truncated
    with pytest.raises(MetaNotFound) as no_bucket:
        await client.list_object_versions(pb.ListObjectVersionsRequest(bucket="nope"))
    assert no_bucket.value.what == "bucket"
