"""Prometheus gauges of the repair manager (``objectio_meta_repair_*``, rebalance included as
``objectio_meta_repair_rebalance_*``), read live at each scrape from its counters; served by the
metadata service's /metrics endpoint."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import Gauge

from objectio.meta.repair import RepairManager

_GAUGES: dict[str, tuple[Gauge, Callable[[RepairManager], float]]] = {
    name: (Gauge(f"objectio_meta_repair_{name}", doc), read)
    for name, doc, read in [
        (
            "stripes_pending",
            "Stripes queued for repair or being repaired",
            lambda r: len(r.queued) - len(r.rebalance_queued),
        ),
        ("stripes_done", "Stripes rebuilt and committed", lambda r: r.counters.stripes_done),
        ("stripes_failed", "Stripe repairs that failed (retried later)", lambda r: r.counters.stripes_failed),
        ("stripes_dropped", "Stripe repairs dropped: object changed", lambda r: r.counters.stripes_dropped),
        ("fragments_rebuilt", "Fragments rebuilt and placed", lambda r: r.counters.fragments_rebuilt),
        ("bytes_read", "Fragment bytes read by repair", lambda r: r.counters.bytes_read),
        ("bytes_written", "Fragment bytes written by repair", lambda r: r.counters.bytes_written),
        ("lost_osds", "OSDs down past the repair grace or out", lambda r: len(r.lost_osds())),
        ("rebalance_active", "1 while a rebalance pass is wanted or its moves are queued", lambda r: r.rebalancing),
        ("rebalance_stripes_pending", "Stripes queued for a rebalance move", lambda r: len(r.rebalance_queued)),
        (
            "rebalance_stripes_misplaced",
            "Stripes with a fragment to move, at the last rebalance pass",
            lambda r: r.counters.rebalance_stripes_misplaced,
        ),
        ("rebalance_fragments_moved", "Fragments moved by rebalance", lambda r: r.counters.rebalance_fragments_moved),
        ("rebalance_bytes_moved", "Fragment bytes copied by rebalance", lambda r: r.counters.rebalance_bytes_moved),
        (
            "rebalance_stripes_failed",
            "Rebalance moves that failed (retried by the next pass)",
            lambda r: r.counters.rebalance_stripes_failed,
        ),
    ]
}


def bind(manager: RepairManager) -> None:
    """Point every gauge at this manager (the last server started in a process wins)."""
    for gauge, read in _GAUGES.values():
        gauge.set_function(lambda read=read: float(read(manager)))  # type: ignore[misc]
