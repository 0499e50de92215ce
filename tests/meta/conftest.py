"""Fixtures of the metadata service tests: a fresh store of each backend (SQLite, and etcd on a
real 3-member cluster shared by the session, each test under its own key prefix), or a real
in-process server."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from objectio.common.pools import DEFAULT_POOLS
from objectio.meta.client import MetaClient
from objectio.meta.config import MetaConfig
from objectio.meta.etcd_store import EtcdMetaStore
from objectio.meta.server import MetaServer, start_server
from objectio.meta.sqlite_store import SqliteMetaStore
from objectio.meta.store import MetaStore
from objectio.protos import meta_pb2 as pb
from tests.etcd_cluster import EtcdCluster, start_etcd_cluster

BACKENDS = ["sqlite", "etcd"]
_prefixes = itertools.count()


@pytest.fixture(scope="session")
def etcd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdCluster]:
    """One 3-member etcd cluster for the session; tests keep apart by key prefix."""
    cluster = start_etcd_cluster(tmp_path_factory.mktemp("etcd"))
    yield cluster
    cluster.stop()


def etcd_prefix() -> str:
    return f"/test-{next(_prefixes)}/"


def new_store(backend: str, tmp_path: Path, request: pytest.FixtureRequest | None) -> MetaStore:
    if backend == "sqlite":
        return SqliteMetaStore(tmp_path / "meta", read_threads=2)
    assert request is not None, "etcd stores need the session's etcd fixture"
    cluster: EtcdCluster = request.getfixturevalue("etcd")
    return EtcdMetaStore(cluster.endpoints, prefix=etcd_prefix())


@pytest.fixture(params=BACKENDS)
async def store(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[MetaStore]:
    """A fresh store with the default pools, user alice and bucket photos — once per backend."""
    async for s in _prepared(new_store(request.param, tmp_path, request)):
        yield s


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[MetaStore]:
    """The same, SQLite only (tests of SQLite's own files, locks and group commit)."""
    async for s in _prepared(new_store("sqlite", tmp_path, None)):
        yield s


async def _prepared(s: MetaStore) -> AsyncIterator[MetaStore]:
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
        inline_data=b"" if object_id else data,
        is_inline=not object_id,
    )


TOKEN = "test-cluster-token"
ROOT_AK = "ROOTACCESSKEY"
ROOT_SK = "root-secret-key-0123456789"


def meta_config(data_dir: Path, **overrides: object) -> MetaConfig:
    """Options of an in-process server; ``meta_backend="etcd"`` with ``etcd_endpoints`` runs it on etcd."""
    values: dict[str, object] = {
        "listen_host": "127.0.0.1",
        "listen_port": 0,
        "data_dir": str(data_dir),
        "cluster_token": TOKEN,
        "root_access_key": ROOT_AK,
        "root_secret_key": ROOT_SK,
        "osd_down_grace_ms": 1500,  # short for the tests, long enough for a loaded CI machine
        "heartbeat_interval_ms": 100,
        "read_threads": 2,
    }
    values.update(overrides)
    config = MetaConfig(**values)  # type: ignore[arg-type]
    config.validate()
    return config


@dataclass
class Running:
    server: MetaServer
    client: MetaClient
    address: str
    config: MetaConfig


def backend_options(backend: str, request: pytest.FixtureRequest) -> dict[str, object]:
    """meta_config overrides that put a server on ``backend`` (etcd: a fresh key prefix)."""
    if backend == "sqlite":
        return {}
    cluster: EtcdCluster = request.getfixturevalue("etcd")
    return {"backend": "etcd", "etcd_endpoints": ",".join(cluster.endpoints), "etcd_prefix": etcd_prefix()}


@pytest.fixture(params=BACKENDS)
async def meta(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Running]:
    """A real grpc.aio metadata server on 127.0.0.1 and a MetaClient holding the token — once
    per backend."""
    config = meta_config(tmp_path / "meta-server", **backend_options(request.param, request))
    server = await start_server(config, now_ms=1)
    address = f"127.0.0.1:{server.port}"
    client = await MetaClient.connect(address, TOKEN)
    try:
        yield Running(server, client, address, config)
    finally:
        await client.close()
        await server.stop(grace_s=0.5)
