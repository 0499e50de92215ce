"""Prometheus metrics of the S3 endpoint (served at ``/metrics``)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS_SECONDS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    """One registry per app, so several apps (tests) never collide on metric names."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "objectio_s3_requests_total",
            "S3 requests by operation and HTTP status",
            ("op", "status"),
            registry=self.registry,
        )
        self.duration = Histogram(
            "objectio_s3_request_duration_seconds",
            "S3 request latency by operation",
            ("op",),
            buckets=LATENCY_BUCKETS_SECONDS,
            registry=self.registry,
        )
        self.bytes_received = Counter(
            "objectio_s3_bytes_received", "request body bytes received", registry=self.registry
        )
        self.bytes_sent = Counter("objectio_s3_bytes_sent", "response body bytes sent", registry=self.registry)

        self._requests_by_label: dict[tuple[str, int], Any] = {}
        self._duration_by_op: dict[str, Any] = {}

    def observe(self, op: str, status: int, seconds: float, received: int, sent: int) -> None:
        counter = self._requests_by_label.get((op, status))
        if counter is None:
            counter = self._requests_by_label[(op, status)] = self.requests.labels(op, str(status))
        counter.inc()
        histogram = self._duration_by_op.get(op)
        if histogram is None:
            histogram = self._duration_by_op[op] = self.duration.labels(op)
        histogram.observe(seconds)
        if received:
            self.bytes_received.inc(received)
        if sent:
            self.bytes_sent.inc(sent)

    def render(self) -> bytes:
        return generate_latest(self.registry)
