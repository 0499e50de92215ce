"""Prometheus metrics of the metadata service (``objectio_meta_*``), read live at each scrape
from the group-commit counters and the cluster map held in memory; object, bucket and degraded
stripe counts (a table scan) are refreshed by :func:`refresh_counts_forever`; RPC latency is
observed as calls end (:func:`observe_rpc`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from prometheus_client import Gauge, Histogram, start_http_server

from objectio.common.pools import PoolError, PoolSpec
from objectio.meta.cluster import ClusterState
from objectio.meta.store import MetaStore, StoreCounts, WriterStats
from objectio.protos import meta_pb2 as pb

log = logging.getLogger("objectio.meta.metrics")

HEALTH_OK, HEALTH_DEGRADED, HEALTH_UNAVAILABLE = 0, 1, 2
LATENCY_BUCKETS_SECONDS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30)

_COUNTS: StoreCounts = StoreCounts(bucket_count=0, object_count=0, degraded_stripes=0)
_GAUGES: dict[str, tuple[Gauge, Callable[[WriterStats, ClusterState], float]]] = {
    name: (Gauge(f"objectio_meta_{name}", doc), read)
    for name, doc, read in [
        ("commits", "Transactions committed by the group-commit writer", lambda w, _: w.commits),
        ("writes_committed", "Writes acknowledged after their commit", lambda w, _: w.writes_committed),
        ("writes_failed", "Writes that failed (rolled back)", lambda w, _: w.writes_failed),
        ("batch_records_max", "Largest number of writes in one commit", lambda w, _: w.batch_records_max_seen),
        ("write_queue_depth", "Writes queued behind the last batch", lambda w, _: w.queue_depth),
        ("cluster_epoch", "Epoch of the cluster map", lambda _, s: s.map.epoch),
        ("osds", "OSDs in the cluster map", lambda _, s: len(s.map.osds)),
        ("osds_up", "OSDs marked up", lambda _, s: sum(1 for o in s.map.osds if o.up == pb.OSD_UP)),
        ("osds_in", "OSDs in placement", lambda _, s: sum(1 for o in s.map.osds if getattr(o, "in") == pb.OSD_IN)),
        (
            "cluster_health",
            "0 ok, 1 degraded (an OSD down or a degraded stripe), 2 unavailable (too few OSDs up to write)",
            lambda _, s: cluster_health(s.map, _COUNTS.degraded_stripes),
        ),
        ("objects", "Object records (refreshed every counts interval)", lambda _w, _s: _COUNTS.object_count),
        ("buckets", "Buckets (refreshed every counts interval)", lambda _w, _s: _COUNTS.bucket_count),
        (
            "degraded_stripes",
            "Stripes missing a fragment (refreshed every counts interval)",
            lambda _w, _s: _COUNTS.degraded_stripes,
        ),
    ]
}
RPC_SECONDS = Histogram(
    "objectio_meta_rpc_duration_seconds",
    "MetaService call latency by RPC (streams: until the stream ends)",
    ("rpc",),
    buckets=LATENCY_BUCKETS_SECONDS,
)


def cluster_health(cmap: pb.ClusterMap, degraded_stripes: int) -> int:
    """HEALTH_UNAVAILABLE when fewer OSDs are up than the default pool's write quorum;
    HEALTH_DEGRADED when an OSD is down or a stripe lacks a fragment; else HEALTH_OK."""
    up = sum(1 for osd in cmap.osds if osd.up == pb.OSD_UP)
    needed = 1
    for pool in cmap.pools:
        if pool.name == cmap.default_pool:
            try:
                needed = PoolSpec.from_proto(pool).write_quorum
            except PoolError:
                return HEALTH_UNAVAILABLE
    if up < needed:
        return HEALTH_UNAVAILABLE
    if up < len(cmap.osds) or degraded_stripes > 0:
        return HEALTH_DEGRADED
    return HEALTH_OK


def observe_rpc(rpc: str, seconds: float) -> None:
    RPC_SECONDS.labels(rpc).observe(seconds)


async def refresh_counts_forever(store: MetaStore, interval_s: float) -> None:
    """Keep the object/bucket/degraded counts at most ``interval_s`` old (one scan each time)."""
    global _COUNTS
    while True:
        try:
            _COUNTS = await store.counts()
        except Exception as exc:  # a failed scan keeps the last counts; the next one retries
            log.warning("counting objects for metrics failed: %s", exc)
        await asyncio.sleep(interval_s)


def bind(stats: WriterStats, state: ClusterState) -> None:
    """Point every gauge at this server's counters (the last server started in a process wins)."""
    for gauge, read in _GAUGES.values():
        gauge.set_function(lambda read=read: float(read(stats, state)))  # type: ignore[misc]


class MetricsServer:
    """The /metrics HTTP endpoint (a daemon thread of prometheus_client); ``close()`` stops it."""

    def __init__(self, host: str, port: int) -> None:
        self._httpd, self._thread = start_http_server(port, addr=host)
        self.port: int = self._httpd.server_port

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
