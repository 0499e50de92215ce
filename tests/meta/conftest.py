"""Fixtures of the metadata service tests: a fresh SQLite store per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from objectio.common.pools import DEFAULT_POOLS
from objectio.meta.sqlite_store import SqliteMetaStore
from objectio.protos import meta_pb2 as pb


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteMetaStore]:
    s = SqliteMetaStore(tmp_path / "meta", read_threads=2)
    await s.open()
    for pool in DEFAULT_POOLS:
        await s.create_pool(pool.to_proto())
    await s.set_default_pool("rs-4-2")
    await s.create_user(pb.User(name="alice", created_ms=1))
    await s.create_bucket(pb.Bucket(name="photos", owner="alice", created_ms=1))
    try:
        yield s
    finally:
        await s.close()


def record(bucket: str, key: str, *, size: int = 3, data: bytes = b"abc", object_id: bytes = b"") -> pb.ObjectRecord:
    """A complete inline object record, as a gateway would send it."""
    return pb.ObjectRecord(
        format_version=1,
        bucket=bucket,
        key=key,
        size=size,
        etag="e-" + key,
        content_type="text/plain",
        mtime_ns=1,
        object_id=object_id,
        inline_data=data,
        is_inline=not object_id,
    )
