"""Prometheus metrics of one OSD (``objectio_osd_*``), served at ``/metrics`` on ``osd.metrics_port``.

Engine figures come from the last :class:`~objectio.osd.store.StoreStats` snapshot (taken at start
and with every heartbeat): levels are gauges, the engine's cumulative counts are counters. RPC
latency and durable-write latency are histograms observed as calls finish.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from objectio.osd.store import StoreStats

LATENCY_BUCKETS_SECONDS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30)

# (metric name, help, StoreStats field): levels...
GAUGES = (
    ("objectio_osd_capacity_bytes", "Bytes the disk can hold", "capacity_bytes"),
    ("objectio_osd_used_bytes", "Bytes in use on the disk", "used_bytes"),
    ("objectio_osd_shards", "Fragments stored on the disk", "object_count"),
    ("objectio_osd_wal_bytes", "Bytes in the engine's write-ahead log", "wal_bytes"),
    ("objectio_osd_wal_capacity_bytes", "Size of the engine's write-ahead log area", "wal_capacity_bytes"),
    ("objectio_osd_btree_pages", "Live B-tree index pages", "btree_pages"),
    ("objectio_osd_btree_dirty_pages", "B-tree pages changed since the last checkpoint", "btree_dirty_pages"),
    ("objectio_osd_cache_bytes", "Bytes held by the ARC cache", "cache_bytes"),
)
# ...and counts the engine accumulates since it opened (exposed with the _total suffix).
COUNTERS = (
    ("objectio_osd_cache_hits", "ARC cache hits", "cache_hits"),
    ("objectio_osd_cache_misses", "ARC cache misses", "cache_misses"),
    ("objectio_osd_cache_evictions", "ARC cache evictions", "cache_evictions"),
    ("objectio_osd_group_commits", "Group commits (one WAL flush each)", "group_commits"),
    ("objectio_osd_group_commit_records", "Records made durable by group commits", "group_commit_records"),
    ("objectio_osd_flushes", "Device flushes", "flushes"),
    ("objectio_osd_checkpoints", "B-tree checkpoints", "checkpoints"),
)


class _StatsCollector(Collector):
    def __init__(self) -> None:
        self.stats: StoreStats | None = None

    def collect(self) -> Iterator[Metric]:
        stats = self.stats
        if stats is None:
            return
        for name, doc, attr in GAUGES:
            yield GaugeMetricFamily(name, doc, value=getattr(stats, attr))
        for name, doc, attr in COUNTERS:
            yield CounterMetricFamily(name, doc, value=getattr(stats, attr))


class OsdMetrics:
    """One registry per OSD daemon (tests may run several in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._stats = _StatsCollector()
        self.registry.register(self._stats)
        self.rpc_seconds = Histogram(
            "objectio_osd_rpc_duration_seconds",
            "OsdService call latency by RPC (streams: until the stream ends)",
            ("rpc",),
            buckets=LATENCY_BUCKETS_SECONDS,
            registry=self.registry,
        )
        self.durable_write_seconds = Histogram(
            "objectio_osd_durable_write_seconds",
            "Engine write until durable (data and WAL flushed; waiting for the group commit included)",
            buckets=LATENCY_BUCKETS_SECONDS,
            registry=self.registry,
        )

    def observe(self, stats: StoreStats) -> None:
        self._stats.stats = stats

    def observe_rpc(self, rpc: str, seconds: float) -> None:
        self.rpc_seconds.labels(rpc).observe(seconds)

    def serve(self, host: str, port: int) -> int:
        """Serve ``/metrics`` on a daemon thread; returns the bound port."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        bound: int = server.server_port
        return bound
