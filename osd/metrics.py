"""Prometheus metrics of one OSD (``objectio_osd_*``), refreshed from engine stats."""

from __future__ import annotations

from prometheus_client import Gauge, start_http_server

from objectio.osd.store import StoreStats

CAPACITY = Gauge("objectio_osd_capacity_bytes", "Bytes the disk can hold")
USED = Gauge("objectio_osd_used_bytes", "Bytes in use on the disk")
SHARDS = Gauge("objectio_osd_shards", "Fragments stored on the disk")
WAL = Gauge("objectio_osd_wal_bytes", "Bytes in the engine's write-ahead log")
CACHE_HITS = Gauge("objectio_osd_cache_hits", "ARC cache hits since start")
CACHE_MISSES = Gauge("objectio_osd_cache_misses", "ARC cache misses since start")


def observe(stats: StoreStats) -> None:
    CAPACITY.set(stats.capacity_bytes)
    USED.set(stats.used_bytes)
    SHARDS.set(stats.object_count)
    WAL.set(stats.wal_bytes)
    CACHE_HITS.set(stats.cache_hits)
    CACHE_MISSES.set(stats.cache_misses)


def serve(host: str, port: int) -> None:
    start_http_server(port, addr=host)
