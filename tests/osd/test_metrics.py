"""The OSD's metrics page from an engine stats snapshot."""

from __future__ import annotations

from prometheus_client import generate_latest

from objectio.osd.metrics import COUNTERS, GAUGES, OsdMetrics
from objectio.osd.store import StoreStats


def test_engine_levels_are_gauges_and_counts_are_counters() -> None:
    metrics = OsdMetrics()
    assert b"objectio_osd_capacity_bytes" not in generate_latest(metrics.registry)  # no snapshot yet
    metrics.observe(StoreStats(1000, 200, 800, 7, 64, 5, 3, cache_evictions=2, group_commits=4, group_commit_records=9))
    metrics.observe_rpc("WriteShard", 0.002)
    metrics.durable_write_seconds.observe(0.001)
    text = generate_latest(metrics.registry).decode()
    lines = dict(line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert float(lines["objectio_osd_capacity_bytes"]) == 1000
    assert float(lines["objectio_osd_shards"]) == 7
    assert float(lines["objectio_osd_cache_hits_total"]) == 5
    assert float(lines["objectio_osd_group_commit_records_total"]) == 9
    assert float(lines["objectio_osd_cache_evictions_total"]) == 2
    assert "# TYPE objectio_osd_cache_evictions_total counter" in text
    assert float(lines['objectio_osd_rpc_duration_seconds_count{rpc="WriteShard"}']) == 1
    assert float(lines["objectio_osd_durable_write_seconds_count"]) == 1
    assert len({name for name, _, _ in GAUGES + COUNTERS}) == len(GAUGES) + len(COUNTERS)
