"""OSD daemon configuration (section ``osd``): every limit named with its unit."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from objectio.common.config import ConfigError, option


@dataclass(frozen=True)
class OsdConfig:
    disk: str = option("", "block device or file this OSD owns (required)")
    listen_host: str = option("127.0.0.1", "address the OsdService listens on")
    listen_port: int = option(9200, "port the OsdService listens on (0: pick a free one)")
    advertise_address: str = option("", "host:port other daemons use to reach this OSD (default: listen)")
    host: str = option(socket.gethostname(), "failure-domain name of the machine this disk is in")
    meta_address: str = option("127.0.0.1:9100", "host:port of the metadata service")
    cluster_token: str = option("", "shared secret every cluster RPC carries (empty: no auth, dev only)")
    format_if_new: bool = option(False, "format the disk if it holds no ObjectIO superblock")
    disk_size_bytes: int = option(0, "size of a file-backed disk created by format_if_new (0: must exist)")
    force: bool = option(False, "format even if the device holds another filesystem")
    cache_bytes: int = option(
        256 << 20, "ARC cache size of the engine (hot records up to 512 KiB are served from it without I/O)"
    )
    io_threads: int = option(32, "threads issuing engine calls; enough writers make group commit pay off")
    stream_inflight_stripes_max: int = option(4, "engine writes in flight per WriteShard stream")
    readahead_stripes: int = option(2, "stripes read ahead per ReadShard stream")
    heartbeat_interval_ms: int = option(2000, "how often capacity is reported to meta")
    gc_grace_ms: int = option(3_600_000, "fragments younger than this are never garbage-collected (> any PUT)")
    gc_interval_ms: int = option(600_000, "pause between two orphan-fragment sweeps")
    stale_sweep_interval_ms: int = option(
        3_600_000, "pause between asks to meta about stale fragment copies (one sweep also runs at start-up)"
    )
    scrub_bytes_per_s: int = option(16 << 20, "scrub reads at most this many fragment bytes per second")
    scrub_interval_ms: int = option(86_400_000, "pause between the end of one scrub pass and the next")
    metrics_port: int = option(0, "Prometheus /metrics port (0: disabled)")
    log_level: str = option("info", "debug, info, warning or error (debug: one line per RPC)")
    uvloop: bool = option(True, "run on uvloop (less CPU per RPC and per engine-thread hand-off than asyncio's loop)")
    tls_cert_file: str = option("", "PEM certificate chain: serve gRPC over TLS ('' = plaintext)")
    tls_key_file: str = option("", "PEM private key of tls_cert_file")
    tls_ca_file: str = option("", "PEM CA bundle that verifies the metadata service's TLS certificate ('' = plaintext)")

    def validate(self) -> None:
        if not self.disk:
            raise ConfigError("osd.disk: required (the device or file this OSD owns)")
        if self.io_threads < 1 or self.io_threads > 1024:
            raise ConfigError(f"osd.io_threads={self.io_threads}: must be in [1, 1024]")
        if self.stream_inflight_stripes_max < 1 or self.stream_inflight_stripes_max > self.io_threads:
            raise ConfigError("osd.stream_inflight_stripes_max must be in [1, io_threads]")
        if self.gc_grace_ms < 1000 or self.gc_interval_ms < 100:
            raise ConfigError("osd.gc_grace_ms must be >= 1000 and osd.gc_interval_ms >= 100")
        if self.stale_sweep_interval_ms < 100:
            raise ConfigError("osd.stale_sweep_interval_ms must be at least 100")
        if self.scrub_bytes_per_s < 4096 or self.scrub_interval_ms < 100:
            raise ConfigError("osd.scrub_bytes_per_s must be >= 4096 and osd.scrub_interval_ms >= 100")
        if bool(self.tls_cert_file) != bool(self.tls_key_file):
            raise ConfigError("osd.tls_cert_file and osd.tls_key_file are given together or not at all")
        if self.heartbeat_interval_ms < 100:
            raise ConfigError("osd.heartbeat_interval_ms must be at least 100")

    @property
    def address(self) -> str:
        return self.advertise_address or f"{self.listen_host}:{self.listen_port}"
