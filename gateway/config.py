"""Every limit and setting of the S3 gateway, with its unit last, default and meaning.

Loaded by :func:`objectio.common.config.load_from_args` (flags > env > file > defaults);
:meth:`GatewayConfig.validate` checks the relations between limits at start-up. Data-path options
for the cluster backend belong at the end of the class, under their own comment.
"""

from __future__ import annotations

from dataclasses import dataclass

from objectio.common.config import ConfigError, option

SECTION = "gateway"

GIB = 1024**3
MIB = 1024**2

# AWS limits that clients depend on; the configurable maxima may not exceed them.
AWS_OBJECT_BYTES_MAX = 5 * GIB  # single PUT
AWS_PRESIGN_EXPIRES_SECONDS_MAX = 7 * 24 * 3600
AWS_LIST_KEYS_MAX = 1000


@dataclass(frozen=True)
class GatewayConfig:
    listen_host: str = option("127.0.0.1", "address the S3 endpoint listens on")
    listen_port: int = option(9000, "TCP port the S3 endpoint listens on")
    meta_address: str = option("127.0.0.1:9100", "host:port of the metadata service (gRPC)")
    region: str = option("us-east-1", "region name clients must sign requests for")
    domain: str = option(
        "", "virtual-host style domain: 's3.example.com' serves bucket.s3.example.com ('' = path style only)"
    )
    workers: int = option(1, "number of server worker processes")
    metrics_multiprocess_dir: str = option(
        "",
        "with workers > 1: directory where workers share metric values, emptied at start "
        "('' = a new temporary directory, removed at exit)",
    )
    request_header_bytes_max: int = option(
        16 * 1024, "largest request head (request line + headers) accepted; larger -> 400"
    )
    object_bytes_max: int = option(AWS_OBJECT_BYTES_MAX, "largest single-PUT object; larger -> EntityTooLarge")
    xml_body_bytes_max: int = option(
        2 * MIB, "largest XML request body (CreateBucketConfiguration, Delete); 1000 keys of 1 KiB fit"
    )
    clock_skew_seconds_max: int = option(900, "largest difference between a request's x-amz-date and our clock")
    presign_expires_seconds_max: int = option(
        AWS_PRESIGN_EXPIRES_SECONDS_MAX, "longest X-Amz-Expires accepted on presigned URLs (AWS: 7 days)"
    )
    list_keys_max: int = option(AWS_LIST_KEYS_MAX, "most keys one list request returns (max-keys is capped to it)")
    request_timeout_seconds: float = option(300.0, "idle keep-alive / read timeout of a connection")
    body_chunk_bytes: int = option(1 * MIB, "largest piece of a request body handed to the backend at once")
    requests_in_flight_max: int = option(
        1024, "S3 requests one worker serves at once; more are answered 503 SlowDown (bounds memory)"
    )
    unread_body_drain_bytes_max: int = option(
        1 * MIB,
        "request body bytes an answer did not need (an error before the body was read) that are read and "
        "dropped so the connection stays open; with more left the connection is closed",
    )
    signing_key_cache_entries_max: int = option(4096, "SigV4 signing keys kept (one per key, day and region)")
    log_level: str = option("info", "debug, info, warning or error")
    access_log: bool = option(True, "write one JSON access-log line per request")
    tls_cert_file: str = option("", "PEM certificate chain for HTTPS ('' = plain HTTP)")
    tls_key_file: str = option("", "PEM private key for HTTPS ('' = plain HTTP)")
    object_ownership_default: str = option(
        "ObjectWriter",
        "object ownership of new buckets without x-amz-object-ownership: ObjectWriter (ACLs enabled, as Ceph RGW "
        "and MinIO), BucketOwnerPreferred, or BucketOwnerEnforced (ACLs disabled, as AWS)",
    )
    # -- data path (cluster backend) options go below --

    def validate(self) -> None:
        def need(ok: bool, message: str) -> None:
            if not ok:
                raise ConfigError(f"[{SECTION}] {message}")

        need(0 < self.listen_port < 65536, f"listen_port {self.listen_port} is not a TCP port")
        need(self.workers >= 1, "workers must be >= 1")
        need(1024 <= self.request_header_bytes_max <= 1 * MIB, "request_header_bytes_max must be in [1 KiB, 1 MiB]")
        need(0 < self.object_bytes_max <= AWS_OBJECT_BYTES_MAX, "object_bytes_max must be in (0, 5 GiB]")
        need(self.xml_body_bytes_max >= 64 * 1024, "xml_body_bytes_max must be >= 64 KiB")
        need(self.clock_skew_seconds_max > 0, "clock_skew_seconds_max must be > 0")
        need(
            0 < self.presign_expires_seconds_max <= AWS_PRESIGN_EXPIRES_SECONDS_MAX,
            "presign_expires_seconds_max must be in (0, 604800]",
        )
        need(0 < self.list_keys_max <= AWS_LIST_KEYS_MAX, "list_keys_max must be in (0, 1000]")
        need(self.request_timeout_seconds > 0, "request_timeout_seconds must be > 0")
        need(4096 <= self.body_chunk_bytes <= 64 * MIB, "body_chunk_bytes must be in [4 KiB, 64 MiB]")
        need(self.requests_in_flight_max > 0, "requests_in_flight_max must be > 0")
        need(self.unread_body_drain_bytes_max >= 0, "unread_body_drain_bytes_max must be >= 0")
        need(self.signing_key_cache_entries_max > 0, "signing_key_cache_entries_max must be > 0")
        need(self.log_level in ("debug", "info", "warning", "error"), f"log_level {self.log_level!r} is unknown")
        need(
            bool(self.tls_cert_file) == bool(self.tls_key_file),
            "tls_cert_file and tls_key_file must be given together",
        )
        need(
            self.object_ownership_default in ("ObjectWriter", "BucketOwnerPreferred", "BucketOwnerEnforced"),
            f"object_ownership_default {self.object_ownership_default!r} is not an ObjectOwnership value",
        )
        need(self.domain == self.domain.lower().strip("."), "domain must be lowercase without a leading/trailing dot")
