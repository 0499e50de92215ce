"""Prometheus metrics of the metadata service (``objectio_meta_*``), read live at each scrape
from the group-commit counters and the cluster map held in memory."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import Gauge, start_http_server

from objectio.meta.cluster import ClusterState
from objectio.meta.store import WriterStats
from objectio.protos import meta_pb2 as pb

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
    ]
}


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
