"""Data-path options of the gateway (section ``datapath``), every limit with its unit."""

from __future__ import annotations

from dataclasses import dataclass

from objectio.common.config import ConfigError, option


@dataclass(frozen=True)
class DataPathConfig:
    cluster_token: str = option("", "shared secret every cluster RPC carries (empty: no auth, dev only)")
    inline_object_bytes_max: int = option(
        16 << 10,
        "objects up to this size live inside their metadata record (one RPC per PUT/GET instead of k+m)",
    )
    object_descriptors: bool = option(
        True,
        "write each object's descriptor copies to the OSDs with its record (needed by `objectio-cli meta "
        "rebuild`; off: objects are found through meta alone)",
    )
    descriptor_copies: int = option(
        0, "descriptor copies per object (0: the pool's failure tolerance + 1, as many losses as its fragments survive)"
    )
    osd_call_timeout_seconds: float = option(30.0, "deadline of one OSD call (a stripe or a batch)")
    meta_call_timeout_seconds: float = option(10.0, "deadline of one metadata call")
    access_key_cache_seconds: float = option(10.0, "how long a looked-up access key is trusted (revocation delay)")
    bucket_cache_seconds: float = option(5.0, "how long a bucket's pool/owner is cached")
    osd_batch_writes_in_flight_max: int = option(
        1,
        "batched WriteShards calls (and, separately, DeleteShards calls) in flight per OSD and gateway worker; "
        "fragments queued meanwhile share the next call, like a group commit",
    )
    osd_batch_reads_in_flight_max: int = option(
        2, "batched ReadShards calls in flight per OSD and gateway worker; reads queued meanwhile share the next call"
    )
    background_deletes_max: int = option(64, "fragment deletions of replaced/deleted objects in flight")
    grpc_tls_ca_file: str = option(
        "", "PEM CA bundle verifying meta's and the OSDs' gRPC TLS certificates ('' = plaintext gRPC)"
    )

    def validate(self) -> None:
        if not 0 <= self.inline_object_bytes_max <= 1 << 20:
            raise ConfigError("datapath.inline_object_bytes_max must be in [0, 1 MiB]")
        if self.osd_call_timeout_seconds <= 0 or self.meta_call_timeout_seconds <= 0:
            raise ConfigError("datapath call timeouts must be positive")
        if not 0 <= self.descriptor_copies <= 16:
            raise ConfigError("datapath.descriptor_copies must be in [0, 16] (0: pool failure tolerance + 1)")
        if not 1 <= self.osd_batch_writes_in_flight_max <= 1024 or not 1 <= self.osd_batch_reads_in_flight_max <= 1024:
            raise ConfigError("datapath.osd_batch_writes_in_flight_max and osd_batch_reads_in_flight_max: [1, 1024]")
        if self.background_deletes_max < 1:
            raise ConfigError("datapath.background_deletes_max must be at least 1")
