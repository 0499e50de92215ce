"""``objectio-osd``: start one OSD daemon on one disk.

Start-up order: bind the gRPC port; open the disk (on a blank disk first register with meta to
obtain an OSD id and the cluster id, then format it with them in the superblock); register with
meta under the superblock's id; serve; heartbeat until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

import uvloop
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]

from objectio.common.config import ConfigError, add_config_flags, load_from_args
from objectio.common.grpcutil import ClusterAuthInterceptor, RpcTimingInterceptor, add_server_port, server_options
from objectio.common.logs import log_fields, setup_logging
from objectio.common.process import die_with_parent_if_asked, set_role, tune_malloc, write_ready_file
from objectio.meta.client import MetaClient, MetaError, MetaNotFound, MetaUnavailable
from objectio.native.engine import Engine
from objectio.osd.config import OsdConfig
from objectio.osd.disk import format_disk, is_blank
from objectio.osd.gc import OrphanCollector
from objectio.osd.metrics import OsdMetrics
from objectio.osd.reconcile import StaleCopySweeper
from objectio.osd.scrub import Scrubber
from objectio.osd.service import OsdServicer
from objectio.osd.store import NativeStore
from objectio.protos import osd_pb2_grpc

log = logging.getLogger("objectio.osd")


class OsdDaemon:
    def __init__(self, config: OsdConfig) -> None:
        self.config = config
        self.meta: MetaClient | None = None
        self.store: NativeStore | None = None
        self.osd_id = 0
        self.address = ""
        self.metrics = OsdMetrics()

    async def _register(self, osd_id: int, cluster_id: str, capacity: int, used: int, disk_uuid: str) -> None:
        assert self.meta is not None
        for attempt in range(600):
            try:
                reply = await self.meta.register_osd(
                    address=self.address,
                    host=self.config.host,
                    disk=self.config.disk,
                    disk_uuid=disk_uuid,
                    capacity_bytes=capacity,
                    used_bytes=used,
                    osd_id=osd_id,
                    cluster_id=cluster_id,
                )
                self.osd_id = reply.osd_id
                self.cluster_id = reply.cluster_id
                return
            except MetaUnavailable:
                if attempt % 10 == 0:
                    log.info("waiting for meta at %s", self.config.meta_address)
                await asyncio.sleep(0.2)
        raise RuntimeError(f"meta at {self.config.meta_address} unreachable")

    async def open_disk(self) -> NativeStore:
        cfg = self.config
        if is_blank(cfg.disk):
            if not cfg.format_if_new:
                raise RuntimeError(
                    f"disk {cfg.disk} holds no ObjectIO superblock (run objectio-install or --format-if-new)"
                )
            await self._register(0, "", cfg.disk_size_bytes, 0, "")
            log.info("formatting blank disk", extra=log_fields(disk=cfg.disk, osd_id=self.osd_id))
            await asyncio.to_thread(
                format_disk,
                cfg.disk,
                osd_id=self.osd_id,
                cluster_id=self.cluster_id,
                size_bytes=cfg.disk_size_bytes,
                force=cfg.force,
            )
        engine = await asyncio.to_thread(Engine.open, cfg.disk, cache_bytes=cfg.cache_bytes)
        store = NativeStore(engine, cfg.io_threads, observe_write=self.metrics.durable_write_seconds.observe)
        sb = store.superblock
        stats = await store.stats()
        self.metrics.observe(stats)
        await self._register(sb.osd_id, sb.cluster_id, stats.capacity_bytes, stats.used_bytes, sb.disk_uuid)
        if self.osd_id != sb.osd_id:
            raise RuntimeError(f"meta assigned OSD id {self.osd_id} but the superblock says {sb.osd_id}")
        return store

    async def heartbeat_forever(self, store: NativeStore) -> None:
        interval = self.config.heartbeat_interval_ms / 1000
        while True:
            await asyncio.sleep(interval)
            try:
                stats = await store.stats()
                self.metrics.observe(stats)
                assert self.meta is not None
                await self.meta.heartbeat(
                    self.osd_id,
                    capacity_bytes=stats.capacity_bytes,
                    used_bytes=stats.used_bytes,
                    shard_count=stats.object_count,
                )
            except MetaError as exc:
                log.warning("heartbeat failed: %s", exc)
                if isinstance(exc, MetaNotFound):  # meta forgot us (e.g. rebuilt): register again
                    sb = store.superblock
                    try:
                        await self._register(
                            sb.osd_id, sb.cluster_id, stats.capacity_bytes, stats.used_bytes, sb.disk_uuid
                        )
                    except MetaError as again:  # e.g. another cluster id until a restore: keep trying
                        log.warning("registration refused: %s", again)

    async def run(self, ready_file: str | None) -> None:
        cfg = self.config
        self.meta = await MetaClient.connect(cfg.meta_address, cfg.cluster_token, tls_ca_file=cfg.tls_ca_file)
        interceptors = [ClusterAuthInterceptor(cfg.cluster_token), RpcTimingInterceptor(self.metrics.observe_rpc)]
        server = aio.server(options=server_options(), interceptors=interceptors)
        address = f"{cfg.listen_host}:{cfg.listen_port}"
        port = add_server_port(server, address, cert_file=cfg.tls_cert_file, key_file=cfg.tls_key_file)
        if port == 0:
            raise RuntimeError(f"cannot listen on {address}")
        self.address = cfg.advertise_address or f"{cfg.listen_host}:{port}"
        store = await self.open_disk()
        self.store = store
        scrubber = Scrubber(
            store, self.meta, self.osd_id, bytes_per_s=cfg.scrub_bytes_per_s, interval_ms=cfg.scrub_interval_ms
        )
        servicer = OsdServicer(
            store, self.osd_id, cfg.stream_inflight_stripes_max, cfg.readahead_stripes, scrubber=scrubber
        )
        osd_pb2_grpc.add_OsdServiceServicer_to_server(servicer, server)
        health_servicer = health_aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        await server.start()
        await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        if cfg.metrics_port:
            self.metrics.serve(cfg.listen_host, cfg.metrics_port)
        log.info(
            "osd serving",
            extra=log_fields(
                osd_id=self.osd_id,
                address=self.address,
                disk=cfg.disk,
                tls=bool(cfg.tls_cert_file),
                metrics_port=cfg.metrics_port,
            ),
        )
        write_ready_file(ready_file, f"{self.osd_id} {self.address}\n")
        heartbeat = asyncio.create_task(self.heartbeat_forever(store))
        collector = OrphanCollector(store, self.meta, grace_ms=cfg.gc_grace_ms, interval_ms=cfg.gc_interval_ms)
        gc_task = asyncio.create_task(collector.run_forever())
        sweeper = StaleCopySweeper(store, self.meta, self.osd_id)
        sweep_task = asyncio.create_task(sweeper.run_forever(cfg.stale_sweep_interval_ms))
        scrub_task = asyncio.create_task(scrubber.run_forever())
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("osd stopping", extra=log_fields(osd_id=self.osd_id))
        for task in (heartbeat, gc_task, sweep_task, scrub_task):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await server.stop(grace=2)
        await store.close()
        await self.meta.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="objectio-osd", description="ObjectIO OSD daemon (one per disk)")
    add_config_flags(parser, OsdConfig)
    parser.add_argument("--ready-file", default=None, help="file written once the OSD serves")
    args = parser.parse_args(argv)
    try:
        config = load_from_args(OsdConfig, "osd", args)
    except ConfigError as exc:
        print(f"objectio-osd: {exc}", file=sys.stderr)
        return 2
    die_with_parent_if_asked()
    set_role("objectio-osd")
    tune_malloc()
    setup_logging("osd", config.log_level)
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop if config.uvloop else None) as runner:
            runner.run(OsdDaemon(config).run(args.ready_file))
    except Exception as exc:
        log.exception("osd failed: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
