"""Assembling a running metadata server: store, first-start bootstrap, servicer, gRPC server.

Used by ``objectio-meta`` (:mod:`objectio.meta.main`) and by the in-process tests, so both run
exactly the same wiring.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]

from objectio.common.config import ConfigError
from objectio.common.grpcutil import ClusterAuthInterceptor, RpcTimingInterceptor, add_server_port, server_options
from objectio.common.logs import log_fields
from objectio.common.pools import DEFAULT_POOLS
from objectio.meta import metrics, repair_metrics
from objectio.meta.cluster import ClusterState, run_down_detector
from objectio.meta.config import MetaConfig
from objectio.meta.errors import AlreadyExists, NotFound
from objectio.meta.etcd_store import EtcdMetaStore
from objectio.meta.etcd_sync import Election, MapFollower
from objectio.meta.expiry import run_upload_expiry
from objectio.meta.osd_links import OsdLinks
from objectio.meta.repair import RepairManager
from objectio.meta.service import MetaService
from objectio.meta.sqlite_store import SqliteMetaStore
from objectio.meta.store import MetaStore
from objectio.protos import meta_pb2 as pb
from objectio.protos import meta_pb2_grpc

log = logging.getLogger("objectio.meta.server")
SERVICE_NAME = "objectio.meta.v1.MetaService"


async def bootstrap(store: MetaStore, config: MetaConfig, now_ms: int) -> pb.ClusterMap:
    """First start: the default pools. Every start: the configured default pool, the root user
    and its configured access key (the configuration is the truth for the root key)."""
    if not (await store.cluster_map()).pools:
        for spec in DEFAULT_POOLS:
            with contextlib.suppress(AlreadyExists):  # another instance on the same etcd was first
                await store.create_pool(spec.to_proto())
    try:
        await store.set_default_pool(config.default_pool)
    except NotFound:
        raise ConfigError(f"meta.default_pool {config.default_pool!r} is not a pool of this cluster") from None
    with contextlib.suppress(AlreadyExists):
        await store.create_user(pb.User(name=config.root_user, is_admin=True, created_ms=now_ms))
    if config.root_access_key:
        key = pb.AccessKey(
            access_key=config.root_access_key,
            secret_key=config.root_secret_key,
            user=config.root_user,
            created_ms=now_ms,
        )
        try:
            await store.create_access_key(key, replace_secret=True)
        except AlreadyExists:
            raise ConfigError("meta.root_access_key belongs to another user") from None
    else:
        log.warning("no root access key configured (meta.root_access_key): S3 needs a key made with objectio-cli")
    return await store.cluster_map()


class BackgroundWork:
    """What only one instance runs at a time: OSD down detection, repair, multipart expiry.
    With SQLite the only instance runs it; with etcd, the elected leader (etcd_sync.Election)."""

    def __init__(self, config: MetaConfig, store: MetaStore, state: ClusterState, repair: RepairManager) -> None:
        self._config = config
        self._store = store
        self._state = state
        self.repair = repair
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def running(self) -> bool:
        return bool(self._tasks)

    def start(self) -> None:
        if self._tasks:
            return
        config = self._config
        self._tasks = [
            asyncio.create_task(
                run_down_detector(self._state, self._store, config.osd_down_grace_ms), name="osd-down-detector"
            ),
            asyncio.create_task(
                run_upload_expiry(
                    self._store, config.multipart_upload_expiry_seconds, config.multipart_expiry_interval_seconds
                ),
                name="multipart-expiry",
            ),
        ]
        self.repair.start()

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.repair.stop()


@dataclass
class MetaServer:
    server: aio.Server
    store: MetaStore
    state: ClusterState
    port: int
    metrics_server: metrics.MetricsServer | None
    repair: RepairManager
    background: BackgroundWork
    _health: health_aio.HealthServicer
    _counter: asyncio.Task[None] | None = None
    election: Election | None = None  # etcd: who runs the background work
    follower: MapFollower | None = None  # etcd: the map as changed through other instances

    @property
    def is_leader(self) -> bool:
        return self.background.running

    async def stop(self, grace_s: float) -> None:
        """Refuse new calls, let in-flight ones finish for ``grace_s``, then close the store."""
        await self._health.enter_graceful_shutdown()
        self.state.close()
        if self._counter is not None:
            self._counter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._counter
        if self.election is not None:
            await self.election.stop()  # resigns: another instance takes over at once
        if self.follower is not None:
            await self.follower.stop()
        await self.background.stop()
        await self.server.stop(grace_s)
        await self.store.close()
        if self.metrics_server is not None:
            await asyncio.to_thread(self.metrics_server.close)

    async def wait(self) -> None:
        await self.server.wait_for_termination()


def open_store(config: MetaConfig) -> MetaStore:
    """The configured backend (not yet opened)."""
    if config.backend == "etcd":
        return EtcdMetaStore(
            config.etcd_endpoint_list,
            prefix=config.etcd_prefix,
            call_timeout_s=config.etcd_call_timeout_ms / 1000,
            cluster_id=config.cluster_id,
        )
    return SqliteMetaStore(
        Path(config.data_dir),
        write_queue_depth_max=config.write_queue_depth_max,
        write_batch_records_max=config.write_batch_records_max,
        read_threads=config.read_threads,
        cache_bytes=config.sqlite_cache_bytes,
        cluster_id=config.cluster_id,
    )


async def start_server(config: MetaConfig, now_ms: int) -> MetaServer:
    """Open the store, bootstrap it, and serve on ``listen_host:listen_port`` (0: any free port)."""
    store = open_store(config)
    await store.open()
    try:
        cmap = await bootstrap(store, config, now_ms)
        state = ClusterState(cmap)
        links = OsdLinks(state, config.cluster_token, config.osd_call_timeout_ms, tls_ca_file=config.tls_ca_file)
        repair = RepairManager(config, store, state, links)
        interceptors = [ClusterAuthInterceptor(config.cluster_token), RpcTimingInterceptor(metrics.observe_rpc)]
        server = aio.server(interceptors=interceptors, options=server_options())
        meta_pb2_grpc.add_MetaServiceServicer_to_server(MetaService(config, store, state, repair), server)
        health = health_aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health, server)
        port = add_server_port(
            server,
            f"{config.listen_host}:{config.listen_port}",
            cert_file=config.tls_cert_file,
            key_file=config.tls_key_file,
        )
        if port == 0:
            raise OSError(f"cannot listen on {config.listen_host}:{config.listen_port}")
        await server.start()
    except BaseException:
        await store.close()
        raise
    for name in ("", SERVICE_NAME):
        await health.set(name, health_pb2.HealthCheckResponse.SERVING)
    metrics.bind(store.writer_stats, state)
    metrics_server = metrics.MetricsServer(config.listen_host, config.metrics_port) if config.metrics_port else None
    counter = None
    if metrics_server is not None:
        interval_s = config.metrics_counts_interval_ms / 1000
        counter = asyncio.create_task(metrics.refresh_counts_forever(store, interval_s), name="metrics-counts")
    background = BackgroundWork(config, store, state, repair)
    election = follower = None
    if isinstance(store, EtcdMetaStore):
        follower = MapFollower(store, state)
        follower.start()
        name = config.instance_name or f"{socket.gethostname()}:{port}:{os.getpid()}"
        election = Election(store, name, config.etcd_lease_ttl_seconds, background.start, background.stop)
        election.start()
    else:
        background.start()
    repair_metrics.bind(repair)
    log.info(
        "serving",
        extra=log_fields(
            port=port,
            cluster_id=cmap.cluster_id,
            epoch=cmap.epoch,
            auth=bool(config.cluster_token),
            tls=bool(config.tls_cert_file),
            backend=config.backend,
            metrics_port=config.metrics_port,
        ),
    )
    return MetaServer(
        server=server,
        store=store,
        state=state,
        port=port,
        metrics_server=metrics_server,
        repair=repair,
        background=background,
        _health=health,
        _counter=counter,
        election=election,
        follower=follower,
    )
