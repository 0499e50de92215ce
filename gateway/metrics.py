"""Prometheus metrics of the gateway (served at ``/metrics`` on the S3 port).

S3 requests by operation and status, their latency, body bytes, and the data path's erasure-code
timings and degraded reads (reported through :mod:`objectio.gateway.storage.hooks`).

With several worker processes, ``objectio-gateway`` sets ``PROMETHEUS_MULTIPROC_DIR`` before it
forks (:func:`enable_multiprocess`): every worker then writes its values to files there and any
worker's ``/metrics`` sums all of them, so one scrape sees the whole gateway.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess, values
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from objectio.gateway.storage import hooks

LATENCY_BUCKETS_SECONDS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
CODING_BUCKETS_SECONDS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def enable_multiprocess(directory: Path) -> None:
    """Before forking workers: empty ``directory`` (values of an earlier run must not count) and
    switch prometheus_client to its file-backed values. No metric may exist yet in this process."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(directory)
    # prometheus_client picks its value class when first imported; pick again now the variable is set.
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]


class Metrics:
    """One registry per app, so several apps (tests) never collide on metric names."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "objectio_s3_requests",
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
            "objectio_s3_received_bytes", "Request body bytes received", registry=self.registry
        )
        self.bytes_sent = Counter("objectio_s3_sent_bytes", "Response body bytes sent", registry=self.registry)
        self.encode_seconds = Histogram(
            "objectio_gateway_ec_encode_seconds",
            "Erasure-encoding one stripe",
            buckets=CODING_BUCKETS_SECONDS,
            registry=self.registry,
        )
        self.decode_seconds = Histogram(
            "objectio_gateway_ec_decode_seconds",
            "Decoding one stripe that misses data fragments (degraded reads; healthy stripes are joined)",
            buckets=CODING_BUCKETS_SECONDS,
            registry=self.registry,
        )
        self.degraded_reads = Counter(
            "objectio_gateway_degraded_reads",
            "Stripes read with a data fragment missing (rebuilt from parity)",
            registry=self.registry,
        )
        self._requests_by_label: dict[tuple[str, int], Any] = {}
        self._duration_by_op: dict[str, Any] = {}
        hooks.observer = self

    # ---- data path (objectio.gateway.storage.hooks.Observer) -------------------------------------

    def encoded(self, seconds: float) -> None:
        self.encode_seconds.observe(seconds)

    def decoded(self, seconds: float) -> None:
        self.decode_seconds.observe(seconds)

    def degraded_read(self) -> None:
        self.degraded_reads.inc()

    # ---- requests --------------------------------------------------------------------------------

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
        if os.environ.get(MULTIPROC_ENV):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)
