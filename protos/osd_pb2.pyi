from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ShardKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SHARD_FRAGMENT: _ClassVar[ShardKind]
    SHARD_DESCRIPTOR: _ClassVar[ShardKind]

class ShardStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SHARD_OK: _ClassVar[ShardStatus]
    SHARD_NOT_FOUND: _ClassVar[ShardStatus]
    SHARD_CORRUPT: _ClassVar[ShardStatus]
    SHARD_IO_ERROR: _ClassVar[ShardStatus]
SHARD_FRAGMENT: ShardKind
SHARD_DESCRIPTOR: ShardKind
SHARD_OK: ShardStatus
SHARD_NOT_FOUND: ShardStatus
SHARD_CORRUPT: ShardStatus
SHARD_IO_ERROR: ShardStatus

class ShardAddress(_message.Message):
    __slots__ = ("object_id", "stripe_index", "fragment_index")
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    STRIPE_INDEX_FIELD_NUMBER: _ClassVar[int]
    FRAGMENT_INDEX_FIELD_NUMBER: _ClassVar[int]
    object_id: bytes
    stripe_index: int
    fragment_index: int
    def __init__(self, object_id: _Optional[bytes] = ..., stripe_index: _Optional[int] = ..., fragment_index: _Optional[int] = ...) -> None: ...

class ShardMeta(_message.Message):
    __slots__ = ("format_version", "bucket", "key", "version_id", "object_size", "pool", "stripe_count", "etag", "content_type", "user_meta", "mtime_ns", "stripe_length", "part_number", "upload_id", "kind")
    class UserMetaEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    FORMAT_VERSION_FIELD_NUMBER: _ClassVar[int]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    OBJECT_SIZE_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    STRIPE_COUNT_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    USER_META_FIELD_NUMBER: _ClassVar[int]
    MTIME_NS_FIELD_NUMBER: _ClassVar[int]
    STRIPE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    PART_NUMBER_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    format_version: int
    bucket: str
    key: str
    version_id: str
    object_size: int
    pool: str
    stripe_count: int
    etag: str
    content_type: str
    user_meta: _containers.ScalarMap[str, str]
    mtime_ns: int
    stripe_length: int
    part_number: int
    upload_id: str
    kind: ShardKind
    def __init__(self, format_version: _Optional[int] = ..., bucket: _Optional[str] = ..., key: _Optional[str] = ..., version_id: _Optional[str] = ..., object_size: _Optional[int] = ..., pool: _Optional[str] = ..., stripe_count: _Optional[int] = ..., etag: _Optional[str] = ..., content_type: _Optional[str] = ..., user_meta: _Optional[_Mapping[str, str]] = ..., mtime_ns: _Optional[int] = ..., stripe_length: _Optional[int] = ..., part_number: _Optional[int] = ..., upload_id: _Optional[str] = ..., kind: _Optional[_Union[ShardKind, str]] = ...) -> None: ...

class WriteShardHeader(_message.Message):
    __slots__ = ("object_id", "fragment_index", "meta")
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    FRAGMENT_INDEX_FIELD_NUMBER: _ClassVar[int]
    META_FIELD_NUMBER: _ClassVar[int]
    object_id: bytes
    fragment_index: int
    meta: ShardMeta
    def __init__(self, object_id: _Optional[bytes] = ..., fragment_index: _Optional[int] = ..., meta: _Optional[_Union[ShardMeta, _Mapping]] = ...) -> None: ...

class WriteShardChunk(_message.Message):
    __slots__ = ("stripe_index", "data", "stripe_length")
    STRIPE_INDEX_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    STRIPE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    stripe_index: int
    data: bytes
    stripe_length: int
    def __init__(self, stripe_index: _Optional[int] = ..., data: _Optional[bytes] = ..., stripe_length: _Optional[int] = ...) -> None: ...

class WriteShardMessage(_message.Message):
    __slots__ = ("header", "chunk")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    header: WriteShardHeader
    chunk: WriteShardChunk
    def __init__(self, header: _Optional[_Union[WriteShardHeader, _Mapping]] = ..., chunk: _Optional[_Union[WriteShardChunk, _Mapping]] = ...) -> None: ...

class WriteShardReply(_message.Message):
    __slots__ = ("stripes_written",)
    STRIPES_WRITTEN_FIELD_NUMBER: _ClassVar[int]
    stripes_written: int
    def __init__(self, stripes_written: _Optional[int] = ...) -> None: ...

class ShardWrite(_message.Message):
    __slots__ = ("address", "data", "meta")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    META_FIELD_NUMBER: _ClassVar[int]
    address: ShardAddress
    data: bytes
    meta: ShardMeta
    def __init__(self, address: _Optional[_Union[ShardAddress, _Mapping]] = ..., data: _Optional[bytes] = ..., meta: _Optional[_Union[ShardMeta, _Mapping]] = ...) -> None: ...

class WriteShardsRequest(_message.Message):
    __slots__ = ("shards",)
    SHARDS_FIELD_NUMBER: _ClassVar[int]
    shards: _containers.RepeatedCompositeFieldContainer[ShardWrite]
    def __init__(self, shards: _Optional[_Iterable[_Union[ShardWrite, _Mapping]]] = ...) -> None: ...

class WriteShardsReply(_message.Message):
    __slots__ = ("written",)
    WRITTEN_FIELD_NUMBER: _ClassVar[int]
    written: int
    def __init__(self, written: _Optional[int] = ...) -> None: ...

class ReadShardRequest(_message.Message):
    __slots__ = ("object_id", "fragment_index", "first_stripe", "last_stripe")
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    FRAGMENT_INDEX_FIELD_NUMBER: _ClassVar[int]
    FIRST_STRIPE_FIELD_NUMBER: _ClassVar[int]
    LAST_STRIPE_FIELD_NUMBER: _ClassVar[int]
    object_id: bytes
    fragment_index: int
    first_stripe: int
    last_stripe: int
    def __init__(self, object_id: _Optional[bytes] = ..., fragment_index: _Optional[int] = ..., first_stripe: _Optional[int] = ..., last_stripe: _Optional[int] = ...) -> None: ...

class ReadShardChunk(_message.Message):
    __slots__ = ("stripe_index", "data")
    STRIPE_INDEX_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    stripe_index: int
    data: bytes
    def __init__(self, stripe_index: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...

class ShardRead(_message.Message):
    __slots__ = ("address", "offset", "length")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    address: ShardAddress
    offset: int
    length: int
    def __init__(self, address: _Optional[_Union[ShardAddress, _Mapping]] = ..., offset: _Optional[int] = ..., length: _Optional[int] = ...) -> None: ...

class ReadShardsRequest(_message.Message):
    __slots__ = ("reads",)
    READS_FIELD_NUMBER: _ClassVar[int]
    reads: _containers.RepeatedCompositeFieldContainer[ShardRead]
    def __init__(self, reads: _Optional[_Iterable[_Union[ShardRead, _Mapping]]] = ...) -> None: ...

class ShardReadResult(_message.Message):
    __slots__ = ("status", "data")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    status: ShardStatus
    data: bytes
    def __init__(self, status: _Optional[_Union[ShardStatus, str]] = ..., data: _Optional[bytes] = ...) -> None: ...

class ReadShardsReply(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[ShardReadResult]
    def __init__(self, results: _Optional[_Iterable[_Union[ShardReadResult, _Mapping]]] = ...) -> None: ...

class DeleteShardsRequest(_message.Message):
    __slots__ = ("shards", "object_ids")
    SHARDS_FIELD_NUMBER: _ClassVar[int]
    OBJECT_IDS_FIELD_NUMBER: _ClassVar[int]
    shards: _containers.RepeatedCompositeFieldContainer[ShardAddress]
    object_ids: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, shards: _Optional[_Iterable[_Union[ShardAddress, _Mapping]]] = ..., object_ids: _Optional[_Iterable[bytes]] = ...) -> None: ...

class DeleteShardsReply(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: int
    def __init__(self, deleted: _Optional[int] = ...) -> None: ...

class ShardStat(_message.Message):
    __slots__ = ("address", "length", "crc32c", "generation", "meta")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    CRC32C_FIELD_NUMBER: _ClassVar[int]
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    META_FIELD_NUMBER: _ClassVar[int]
    address: ShardAddress
    length: int
    crc32c: int
    generation: int
    meta: ShardMeta
    def __init__(self, address: _Optional[_Union[ShardAddress, _Mapping]] = ..., length: _Optional[int] = ..., crc32c: _Optional[int] = ..., generation: _Optional[int] = ..., meta: _Optional[_Union[ShardMeta, _Mapping]] = ...) -> None: ...

class ListShardsRequest(_message.Message):
    __slots__ = ("start_after", "limit", "prefix")
    START_AFTER_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    start_after: bytes
    limit: int
    prefix: bytes
    def __init__(self, start_after: _Optional[bytes] = ..., limit: _Optional[int] = ..., prefix: _Optional[bytes] = ...) -> None: ...

class ListShardsReply(_message.Message):
    __slots__ = ("shards", "next_start_after")
    SHARDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_START_AFTER_FIELD_NUMBER: _ClassVar[int]
    shards: _containers.RepeatedCompositeFieldContainer[ShardStat]
    next_start_after: bytes
    def __init__(self, shards: _Optional[_Iterable[_Union[ShardStat, _Mapping]]] = ..., next_start_after: _Optional[bytes] = ...) -> None: ...

class ScanShardMetaRequest(_message.Message):
    __slots__ = ("start_after",)
    START_AFTER_FIELD_NUMBER: _ClassVar[int]
    start_after: bytes
    def __init__(self, start_after: _Optional[bytes] = ...) -> None: ...

class VerifyShardsRequest(_message.Message):
    __slots__ = ("shards",)
    SHARDS_FIELD_NUMBER: _ClassVar[int]
    shards: _containers.RepeatedCompositeFieldContainer[ShardAddress]
    def __init__(self, shards: _Optional[_Iterable[_Union[ShardAddress, _Mapping]]] = ...) -> None: ...

class VerifyShardsReply(_message.Message):
    __slots__ = ("statuses",)
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    statuses: _containers.RepeatedScalarFieldContainer[ShardStatus]
    def __init__(self, statuses: _Optional[_Iterable[_Union[ShardStatus, str]]] = ...) -> None: ...

class GetStatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class OsdStats(_message.Message):
    __slots__ = ("osd_id", "capacity_bytes", "used_bytes", "free_bytes", "shard_count", "wal_bytes", "cache_hits", "cache_misses")
    OSD_ID_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_BYTES_FIELD_NUMBER: _ClassVar[int]
    USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    FREE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SHARD_COUNT_FIELD_NUMBER: _ClassVar[int]
    WAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    CACHE_HITS_FIELD_NUMBER: _ClassVar[int]
    CACHE_MISSES_FIELD_NUMBER: _ClassVar[int]
    osd_id: int
    capacity_bytes: int
    used_bytes: int
    free_bytes: int
    shard_count: int
    wal_bytes: int
    cache_hits: int
    cache_misses: int
    def __init__(self, osd_id: _Optional[int] = ..., capacity_bytes: _Optional[int] = ..., used_bytes: _Optional[int] = ..., free_bytes: _Optional[int] = ..., shard_count: _Optional[int] = ..., wal_bytes: _Optional[int] = ..., cache_hits: _Optional[int] = ..., cache_misses: _Optional[int] = ...) -> None: ...

class StartScrubRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetScrubStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ScrubStatus(_message.Message):
    __slots__ = ("osd_id", "running", "passes_completed", "shards_verified", "shards_corrupt", "bytes_verified", "quarantined", "pass_started_ms", "pass_finished_ms")
    OSD_ID_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    PASSES_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    SHARDS_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    SHARDS_CORRUPT_FIELD_NUMBER: _ClassVar[int]
    BYTES_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    QUARANTINED_FIELD_NUMBER: _ClassVar[int]
    PASS_STARTED_MS_FIELD_NUMBER: _ClassVar[int]
    PASS_FINISHED_MS_FIELD_NUMBER: _ClassVar[int]
    osd_id: int
    running: bool
    passes_completed: int
    shards_verified: int
    shards_corrupt: int
    bytes_verified: int
    quarantined: int
    pass_started_ms: int
    pass_finished_ms: int
    def __init__(self, osd_id: _Optional[int] = ..., running: _Optional[bool] = ..., passes_completed: _Optional[int] = ..., shards_verified: _Optional[int] = ..., shards_corrupt: _Optional[int] = ..., bytes_verified: _Optional[int] = ..., quarantined: _Optional[int] = ..., pass_started_ms: _Optional[int] = ..., pass_finished_ms: _Optional[int] = ...) -> None: ...
