"""MetaConfig: every option of objectio-meta, with its unit, default and why.

Loaded by :func:`objectio.common.config.load_config` from section ``[meta]``
(flags > ``OBJECTIO_META_*`` environment > config file > defaults). ``validate()`` checks the
relations between limits at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from objectio.common.config import ConfigError, option
from objectio.common.grpcutil import MESSAGE_BYTES_MAX

SECTION = "meta"


@dataclass(frozen=True)
class MetaConfig:
    listen_host: str = option("0.0.0.0", "address the gRPC server binds")
    listen_port: int = option(9100, "gRPC port (0: pick a free port; the ready file names it)")
    data_dir: str = option("/var/lib/objectio/meta", "directory of the SQLite database (meta.db + WAL)")
    backend: str = option("sqlite", "metadata store: sqlite (one instance, data_dir) or etcd (several instances)")
    etcd_endpoints: str = option("", "etcd members as host:port,host:port,... (backend etcd)")
    etcd_prefix: str = option("/objectio/", "prefix of every etcd key of this cluster (starts and ends with /)")
    etcd_call_timeout_ms: int = option(5_000, "deadline of one etcd call, failovers to other members included")
    etcd_lease_ttl_seconds: int = option(
        5, "lease of the leader of background work: a dead leader is replaced after at most this long"
    )
    instance_name: str = option("", "name of this instance in the leader election ('' = host:port:pid)")
    cluster_token: str = option("", "shared secret every client sends as x-objectio-token; empty disables auth (dev)")
    cluster_id: str = option(
        "",
        "cluster id a new database takes ('' = random). Set only to recover a lost metadata store: while set, "
        "any OSD of this cluster the store does not know is adopted with its id (a removed one too)",
    )
    root_access_key: str = option("", "access key of the root (admin) user, ensured at start-up")
    root_secret_key: str = option("", "secret key of the root user (never logged)")
    root_user: str = option("admin", "name of the root user created at first start")
    default_pool: str = option("rs-4-2", "pool of buckets created without one; must exist")
    osd_down_grace_ms: int = option(10_000, "an OSD silent this long is marked down (epoch bumps)")
    heartbeat_interval_ms: int = option(2_000, "how often OSDs are told to heartbeat")
    write_queue_depth_max: int = option(
        20_000, "writes waiting for the group-commit writer; beyond it calls fail RESOURCE_EXHAUSTED"
    )
    write_batch_records_max: int = option(2_000, "writes committed in one transaction (one fsync) at most")
    read_threads: int = option(4, "reader threads, each with its own SQLite connection (WAL: never blocked)")
    inline_data_bytes_max: int = option(1 << 20, "largest inline_data an object record may carry")
    record_bytes_max: int = option(2 << 20, "largest serialized object record (inline data included)")
    bucket_setting_bytes_max: int = option(
        256 << 10, "largest bucket setting document (policy, CORS, ACL, tagging ...) in bytes"
    )
    key_bytes_max: int = option(1024, "longest object key in UTF-8 bytes (S3's limit)")
    list_keys_max: int = option(1000, "most keys + common prefixes one ListObjects returns")
    find_unreferenced_ids_max: int = option(100_000, "most object ids one FindUnreferenced call may ask about")
    multipart_upload_expiry_seconds: int = option(
        7 * 24 * 3600, "an upload neither completed nor aborted this long after it began is forgotten (parts -> GC)"
    )
    multipart_expiry_interval_seconds: int = option(600, "how often expired multipart uploads are looked for")
    sqlite_cache_bytes: int = option(64 << 20, "page cache of each SQLite connection")
    shutdown_grace_ms: int = option(5_000, "how long in-flight calls may finish on SIGTERM")
    repair_grace_ms: int = option(
        60_000, "an OSD down this long (or marked out) has its fragments rebuilt elsewhere by the repair manager"
    )
    repair_scan_interval_ms: int = option(60_000, "rescan of the records while stripes stay degraded or OSDs lost")
    repair_stripes_inflight_max: int = option(4, "stripes repaired concurrently (each holds up to k+m fragments)")
    repair_bytes_per_s: int = option(64 << 20, "repair bandwidth: fragment bytes read plus written per second")
    repair_queue_stripes_max: int = option(10_000, "stripes queued for repair; a scan waits when the queue is full")
    repair_full_scan_interval_ms: int = option(
        600_000, "a full repair/rebalance scan runs at least this often (finds degraded upload parts, unfinished moves)"
    )
    rebalance_enabled: bool = option(
        True, "move fragments toward the current placement when an OSD is added or marked in (and at start-up)"
    )
    rebalance_delete_delay_ms: int = option(
        10_000, "a moved fragment's old copy is deleted this long after the record points to the new one"
    )
    osd_full_ratio: float = option(
        0.90, "an OSD using more than this share of its capacity takes no new fragments (PUT, repair, rebalance)"
    )
    osd_call_timeout_ms: int = option(30_000, "deadline of meta's calls to OSDs (repair reads/writes, scrub relay)")
    metrics_port: int = option(0, "Prometheus /metrics port on listen_host (0: disabled)")
    metrics_counts_interval_ms: int = option(
        15_000, "how often the object/bucket/degraded-stripe gauges are recounted (a scan of the object table)"
    )
    tls_cert_file: str = option("", "PEM certificate chain: serve gRPC over TLS ('' = plaintext)")
    tls_key_file: str = option("", "PEM private key of tls_cert_file")
    tls_ca_file: str = option(
        "", "PEM CA bundle that verifies the OSDs' TLS certificates (repair, scrub relay; '' = plaintext)"
    )
    uvloop: bool = option(True, "run on uvloop (about a third more calls per second than asyncio's loop)")
    log_level: str = option("info", "debug, info, warning or error (debug: one line per RPC)")

    def __repr__(self) -> str:  # the token and the root secret never reach a log line
        hidden = {"cluster_token", "root_secret_key"}
        shown = (f"{f.name}={'***' if f.name in hidden else repr(getattr(self, f.name))}" for f in fields(self))
        return f"MetaConfig({', '.join(shown)})"

    @property
    def etcd_endpoint_list(self) -> list[str]:
        return [e.strip() for e in self.etcd_endpoints.split(",") if e.strip()]

    def validate(self) -> None:
        positive = (
            "osd_down_grace_ms",
            "heartbeat_interval_ms",
            "write_queue_depth_max",
            "write_batch_records_max",
            "read_threads",
            "record_bytes_max",
            "key_bytes_max",
            "list_keys_max",
            "find_unreferenced_ids_max",
            "multipart_upload_expiry_seconds",
            "multipart_expiry_interval_seconds",
            "repair_grace_ms",
            "repair_scan_interval_ms",
            "repair_stripes_inflight_max",
            "repair_bytes_per_s",
            "repair_queue_stripes_max",
            "repair_full_scan_interval_ms",
            "rebalance_delete_delay_ms",
            "osd_call_timeout_ms",
            "metrics_counts_interval_ms",
            "etcd_call_timeout_ms",
            "etcd_lease_ttl_seconds",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(f"meta.{name} must be positive, got {getattr(self, name)}")
        if not 0 <= self.listen_port <= 65535:
            raise ConfigError(f"meta.listen_port {self.listen_port} is not a TCP port")
        if self.heartbeat_interval_ms * 2 > self.osd_down_grace_ms:
            raise ConfigError(
                f"meta.osd_down_grace_ms ({self.osd_down_grace_ms}) must allow at least two heartbeats "
                f"(heartbeat_interval_ms={self.heartbeat_interval_ms})"
            )
        if self.write_batch_records_max > self.write_queue_depth_max:
            raise ConfigError("meta.write_batch_records_max cannot exceed meta.write_queue_depth_max")
        if self.inline_data_bytes_max >= self.record_bytes_max:
            raise ConfigError("meta.inline_data_bytes_max must leave room below meta.record_bytes_max")
        if self.record_bytes_max > MESSAGE_BYTES_MAX // 2:
            raise ConfigError(
                f"meta.record_bytes_max must stay under half the gRPC message limit ({MESSAGE_BYTES_MAX})"
            )
        if bool(self.root_access_key) != bool(self.root_secret_key):
            raise ConfigError("meta.root_access_key and meta.root_secret_key are given together or not at all")
        if bool(self.tls_cert_file) != bool(self.tls_key_file):
            raise ConfigError("meta.tls_cert_file and meta.tls_key_file are given together or not at all")
        if not 0.5 <= self.osd_full_ratio <= 0.99:
            raise ConfigError(f"meta.osd_full_ratio={self.osd_full_ratio}: must be in [0.5, 0.99]")
        if self.backend not in ("sqlite", "etcd"):
            raise ConfigError(f"meta.backend must be sqlite or etcd, got {self.backend!r}")
        if self.backend == "etcd" and not self.etcd_endpoint_list:
            raise ConfigError("meta.backend etcd needs meta.etcd_endpoints (host:port,...)")
        if not (self.etcd_prefix.startswith("/") and self.etcd_prefix.endswith("/")):
            raise ConfigError(f"meta.etcd_prefix {self.etcd_prefix!r} must start and end with '/'")
        if self.etcd_lease_ttl_seconds < 2:
            raise ConfigError("meta.etcd_lease_ttl_seconds must be at least 2 (refreshed every third of it)")
        if not self.default_pool:
            raise ConfigError("meta.default_pool must name a pool")
