from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OsdUp(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OSD_DOWN: _ClassVar[OsdUp]
    OSD_UP: _ClassVar[OsdUp]

class OsdIn(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OSD_IN: _ClassVar[OsdIn]
    OSD_OUT: _ClassVar[OsdIn]

class PoolType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POOL_RS_VAND: _ClassVar[PoolType]
    POOL_RS_CAUCHY: _ClassVar[PoolType]
    POOL_LRC: _ClassVar[PoolType]
OSD_DOWN: OsdUp
OSD_UP: OsdUp
OSD_IN: OsdIn
OSD_OUT: OsdIn
POOL_RS_VAND: PoolType
POOL_RS_CAUCHY: PoolType
POOL_LRC: PoolType

class Empty(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Osd(_message.Message):
    __slots__ = ("id", "address", "host", "disk", "disk_uuid", "capacity_bytes", "used_bytes", "up", "weight", "last_heartbeat_ms", "registered_ms", "full")
    ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    DISK_FIELD_NUMBER: _ClassVar[int]
    DISK_UUID_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_BYTES_FIELD_NUMBER: _ClassVar[int]
    USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    UP_FIELD_NUMBER: _ClassVar[int]
    IN_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_MS_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_MS_FIELD_NUMBER: _ClassVar[int]
    FULL_FIELD_NUMBER: _ClassVar[int]
    id: int
    address: str
    host: str
    disk: str
    disk_uuid: str
    capacity_bytes: int
    used_bytes: int
    up: OsdUp
    weight: float
    last_heartbeat_ms: int
    registered_ms: int
    full: bool
    def __init__(self, id: _Optional[int] = ..., address: _Optional[str] = ..., host: _Optional[str] = ..., disk: _Optional[str] = ..., disk_uuid: _Optional[str] = ..., capacity_bytes: _Optional[int] = ..., used_bytes: _Optional[int] = ..., up: _Optional[_Union[OsdUp, str]] = ..., weight: _Optional[float] = ..., last_heartbeat_ms: _Optional[int] = ..., registered_ms: _Optional[int] = ..., full: _Optional[bool] = ..., **kwargs) -> None: ...

class Pool(_message.Message):
    __slots__ = ("name", "type", "k", "m", "local_groups", "stripe_unit_bytes", "format_version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    M_FIELD_NUMBER: _ClassVar[int]
    LOCAL_GROUPS_FIELD_NUMBER: _ClassVar[int]
    STRIPE_UNIT_BYTES_FIELD_NUMBER: _ClassVar[int]
    FORMAT_VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: PoolType
    k: int
    m: int
    local_groups: int
    stripe_unit_bytes: int
    format_version: int
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[PoolType, str]] = ..., k: _Optional[int] = ..., m: _Optional[int] = ..., local_groups: _Optional[int] = ..., stripe_unit_bytes: _Optional[int] = ..., format_version: _Optional[int] = ...) -> None: ...

class ClusterMap(_message.Message):
    __slots__ = ("epoch", "cluster_id", "osds", "pools", "default_pool")
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    OSDS_FIELD_NUMBER: _ClassVar[int]
    POOLS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_POOL_FIELD_NUMBER: _ClassVar[int]
    epoch: int
    cluster_id: str
    osds: _containers.RepeatedCompositeFieldContainer[Osd]
    pools: _containers.RepeatedCompositeFieldContainer[Pool]
    default_pool: str
    def __init__(self, epoch: _Optional[int] = ..., cluster_id: _Optional[str] = ..., osds: _Optional[_Iterable[_Union[Osd, _Mapping]]] = ..., pools: _Optional[_Iterable[_Union[Pool, _Mapping]]] = ..., default_pool: _Optional[str] = ...) -> None: ...

class RegisterOsdRequest(_message.Message):
    __slots__ = ("osd_id", "address", "host", "disk", "disk_uuid", "capacity_bytes", "used_bytes", "cluster_id")
    OSD_ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    DISK_FIELD_NUMBER: _ClassVar[int]
    DISK_UUID_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_BYTES_FIELD_NUMBER: _ClassVar[int]
    USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    osd_id: int
    address: str
    host: str
    disk: str
    disk_uuid: str
    capacity_bytes: int
    used_bytes: int
    cluster_id: str
    def __init__(self, osd_id: _Optional[int] = ..., address: _Optional[str] = ..., host: _Optional[str] = ..., disk: _Optional[str] = ..., disk_uuid: _Optional[str] = ..., capacity_bytes: _Optional[int] = ..., used_bytes: _Optional[int] = ..., cluster_id: _Optional[str] = ...) -> None: ...

class RegisterOsdReply(_message.Message):
    __slots__ = ("osd_id", "cluster_id", "heartbeat_interval_ms")
    OSD_ID_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    osd_id: int
    cluster_id: str
    heartbeat_interval_ms: int
    def __init__(self, osd_id: _Optional[int] = ..., cluster_id: _Optional[str] = ..., heartbeat_interval_ms: _Optional[int] = ...) -> None: ...

class HeartbeatRequest(_message.Message):
    __slots__ = ("osd_id", "capacity_bytes", "used_bytes", "shard_count")
    OSD_ID_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_BYTES_FIELD_NUMBER: _ClassVar[int]
    USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    SHARD_COUNT_FIELD_NUMBER: _ClassVar[int]
    osd_id: int
    capacity_bytes: int
    used_bytes: int
    shard_count: int
    def __init__(self, osd_id: _Optional[int] = ..., capacity_bytes: _Optional[int] = ..., used_bytes: _Optional[int] = ..., shard_count: _Optional[int] = ...) -> None: ...

class HeartbeatReply(_message.Message):
    __slots__ = ("epoch",)
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    epoch: int
    def __init__(self, epoch: _Optional[int] = ...) -> None: ...

class GetClusterMapRequest(_message.Message):
    __slots__ = ("known_epoch",)
    KNOWN_EPOCH_FIELD_NUMBER: _ClassVar[int]
    known_epoch: int
    def __init__(self, known_epoch: _Optional[int] = ...) -> None: ...

class SetOsdStateRequest(_message.Message):
    __slots__ = ("osd_id", "set_in", "set_out", "remove", "check_only")
    OSD_ID_FIELD_NUMBER: _ClassVar[int]
    SET_IN_FIELD_NUMBER: _ClassVar[int]
    SET_OUT_FIELD_NUMBER: _ClassVar[int]
    REMOVE_FIELD_NUMBER: _ClassVar[int]
    CHECK_ONLY_FIELD_NUMBER: _ClassVar[int]
    osd_id: int
    set_in: bool
    set_out: bool
    remove: bool
    check_only: bool
    def __init__(self, osd_id: _Optional[int] = ..., set_in: _Optional[bool] = ..., set_out: _Optional[bool] = ..., remove: _Optional[bool] = ..., check_only: _Optional[bool] = ...) -> None: ...

class Bucket(_message.Message):
    __slots__ = ("name", "owner", "pool", "created_ms", "settings")
    class SettingsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: bytes
        def __init__(self, key: _Optional[str] = ..., value: _Optional[bytes] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    CREATED_MS_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    name: str
    owner: str
    pool: str
    created_ms: int
    settings: _containers.ScalarMap[str, bytes]
    def __init__(self, name: _Optional[str] = ..., owner: _Optional[str] = ..., pool: _Optional[str] = ..., created_ms: _Optional[int] = ..., settings: _Optional[_Mapping[str, bytes]] = ...) -> None: ...

class BucketName(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class CreateBucketRequest(_message.Message):
    __slots__ = ("name", "owner", "pool", "settings")
    class SettingsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: bytes
        def __init__(self, key: _Optional[str] = ..., value: _Optional[bytes] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    name: str
    owner: str
    pool: str
    settings: _containers.ScalarMap[str, bytes]
    def __init__(self, name: _Optional[str] = ..., owner: _Optional[str] = ..., pool: _Optional[str] = ..., settings: _Optional[_Mapping[str, bytes]] = ...) -> None: ...

class PutBucketSettingRequest(_message.Message):
    __slots__ = ("bucket", "name", "value", "remove")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    REMOVE_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    name: str
    value: bytes
    remove: bool
    def __init__(self, bucket: _Optional[str] = ..., name: _Optional[str] = ..., value: _Optional[bytes] = ..., remove: _Optional[bool] = ...) -> None: ...

class ListBucketsRequest(_message.Message):
    __slots__ = ("owner",)
    OWNER_FIELD_NUMBER: _ClassVar[int]
    owner: str
    def __init__(self, owner: _Optional[str] = ...) -> None: ...

class ListBucketsReply(_message.Message):
    __slots__ = ("buckets",)
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    buckets: _containers.RepeatedCompositeFieldContainer[Bucket]
    def __init__(self, buckets: _Optional[_Iterable[_Union[Bucket, _Mapping]]] = ...) -> None: ...

class StripePlacement(_message.Message):
    __slots__ = ("osd_ids", "length")
    OSD_IDS_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    osd_ids: _containers.RepeatedScalarFieldContainer[int]
    length: int
    def __init__(self, osd_ids: _Optional[_Iterable[int]] = ..., length: _Optional[int] = ...) -> None: ...

class ObjectRecord(_message.Message):
    __slots__ = ("format_version", "bucket", "key", "size", "etag", "content_type", "user_meta", "headers", "mtime_ns", "version_id", "object_id", "pool", "stripes", "inline_data", "is_inline", "parts", "delete_marker", "tags", "owner", "acl", "descriptor_osd_ids")
    class UserMetaEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    FORMAT_VERSION_FIELD_NUMBER: _ClassVar[int]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    USER_META_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    MTIME_NS_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    STRIPES_FIELD_NUMBER: _ClassVar[int]
    INLINE_DATA_FIELD_NUMBER: _ClassVar[int]
    IS_INLINE_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    DELETE_MARKER_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    ACL_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTOR_OSD_IDS_FIELD_NUMBER: _ClassVar[int]
    format_version: int
    bucket: str
    key: str
    size: int
    etag: str
    content_type: str
    user_meta: _containers.ScalarMap[str, str]
    headers: _containers.ScalarMap[str, str]
    mtime_ns: int
    version_id: str
    object_id: bytes
    pool: str
    stripes: _containers.RepeatedCompositeFieldContainer[StripePlacement]
    inline_data: bytes
    is_inline: bool
    parts: _containers.RepeatedCompositeFieldContainer[PartLayout]
    delete_marker: bool
    tags: _containers.ScalarMap[str, str]
    owner: str
    acl: bytes
    descriptor_osd_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, format_version: _Optional[int] = ..., bucket: _Optional[str] = ..., key: _Optional[str] = ..., size: _Optional[int] = ..., etag: _Optional[str] = ..., content_type: _Optional[str] = ..., user_meta: _Optional[_Mapping[str, str]] = ..., headers: _Optional[_Mapping[str, str]] = ..., mtime_ns: _Optional[int] = ..., version_id: _Optional[str] = ..., object_id: _Optional[bytes] = ..., pool: _Optional[str] = ..., stripes: _Optional[_Iterable[_Union[StripePlacement, _Mapping]]] = ..., inline_data: _Optional[bytes] = ..., is_inline: _Optional[bool] = ..., parts: _Optional[_Iterable[_Union[PartLayout, _Mapping]]] = ..., delete_marker: _Optional[bool] = ..., tags: _Optional[_Mapping[str, str]] = ..., owner: _Optional[str] = ..., acl: _Optional[bytes] = ..., descriptor_osd_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class SetObjectAclRequest(_message.Message):
    __slots__ = ("bucket", "key", "object_id", "mtime_ns", "acl")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    MTIME_NS_FIELD_NUMBER: _ClassVar[int]
    ACL_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    key: str
    object_id: bytes
    mtime_ns: int
    acl: bytes
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ..., object_id: _Optional[bytes] = ..., mtime_ns: _Optional[int] = ..., acl: _Optional[bytes] = ...) -> None: ...

class ObjectDescriptor(_message.Message):
    __slots__ = ("format_version", "record", "bucket")
    FORMAT_VERSION_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    format_version: int
    record: ObjectRecord
    bucket: Bucket
    def __init__(self, format_version: _Optional[int] = ..., record: _Optional[_Union[ObjectRecord, _Mapping]] = ..., bucket: _Optional[_Union[Bucket, _Mapping]] = ...) -> None: ...

class PartLayout(_message.Message):
    __slots__ = ("part_number", "object_id", "size", "etag", "stripes", "mtime_ns", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PART_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    STRIPES_FIELD_NUMBER: _ClassVar[int]
    MTIME_NS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    part_number: int
    object_id: bytes
    size: int
    etag: str
    stripes: _containers.RepeatedCompositeFieldContainer[StripePlacement]
    mtime_ns: int
    headers: _containers.ScalarMap[str, str]
    def __init__(self, part_number: _Optional[int] = ..., object_id: _Optional[bytes] = ..., size: _Optional[int] = ..., etag: _Optional[str] = ..., stripes: _Optional[_Iterable[_Union[StripePlacement, _Mapping]]] = ..., mtime_ns: _Optional[int] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ObjectName(_message.Message):
    __slots__ = ("bucket", "key", "version_id")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    key: str
    version_id: str
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ..., version_id: _Optional[str] = ...) -> None: ...

class PutObjectRequest(_message.Message):
    __slots__ = ("record", "if_none_match")
    RECORD_FIELD_NUMBER: _ClassVar[int]
    IF_NONE_MATCH_FIELD_NUMBER: _ClassVar[int]
    record: ObjectRecord
    if_none_match: bool
    def __init__(self, record: _Optional[_Union[ObjectRecord, _Mapping]] = ..., if_none_match: _Optional[bool] = ...) -> None: ...

class PutObjectReply(_message.Message):
    __slots__ = ("replaced", "has_replaced", "version_id")
    REPLACED_FIELD_NUMBER: _ClassVar[int]
    HAS_REPLACED_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    replaced: ObjectRecord
    has_replaced: bool
    version_id: str
    def __init__(self, replaced: _Optional[_Union[ObjectRecord, _Mapping]] = ..., has_replaced: _Optional[bool] = ..., version_id: _Optional[str] = ...) -> None: ...

class DeleteObjectReply(_message.Message):
    __slots__ = ("deleted", "existed", "version_id", "delete_marker")
    DELETED_FIELD_NUMBER: _ClassVar[int]
    EXISTED_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    DELETE_MARKER_FIELD_NUMBER: _ClassVar[int]
    deleted: ObjectRecord
    existed: bool
    version_id: str
    delete_marker: bool
    def __init__(self, deleted: _Optional[_Union[ObjectRecord, _Mapping]] = ..., existed: _Optional[bool] = ..., version_id: _Optional[str] = ..., delete_marker: _Optional[bool] = ...) -> None: ...

class ListObjectsRequest(_message.Message):
    __slots__ = ("bucket", "prefix", "delimiter", "start_after", "max_keys")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    DELIMITER_FIELD_NUMBER: _ClassVar[int]
    START_AFTER_FIELD_NUMBER: _ClassVar[int]
    MAX_KEYS_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    prefix: str
    delimiter: str
    start_after: str
    max_keys: int
    def __init__(self, bucket: _Optional[str] = ..., prefix: _Optional[str] = ..., delimiter: _Optional[str] = ..., start_after: _Optional[str] = ..., max_keys: _Optional[int] = ...) -> None: ...

class ListObjectsReply(_message.Message):
    __slots__ = ("common_prefixes", "is_truncated", "next_marker", "keys", "sizes", "etags", "mtimes_ns", "is_inline")
    COMMON_PREFIXES_FIELD_NUMBER: _ClassVar[int]
    IS_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    NEXT_MARKER_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    SIZES_FIELD_NUMBER: _ClassVar[int]
    ETAGS_FIELD_NUMBER: _ClassVar[int]
    MTIMES_NS_FIELD_NUMBER: _ClassVar[int]
    IS_INLINE_FIELD_NUMBER: _ClassVar[int]
    common_prefixes: _containers.RepeatedScalarFieldContainer[str]
    is_truncated: bool
    next_marker: str
    keys: _containers.RepeatedScalarFieldContainer[str]
    sizes: _containers.RepeatedScalarFieldContainer[int]
    etags: _containers.RepeatedScalarFieldContainer[str]
    mtimes_ns: _containers.RepeatedScalarFieldContainer[int]
    is_inline: _containers.RepeatedScalarFieldContainer[bool]
    def __init__(self, common_prefixes: _Optional[_Iterable[str]] = ..., is_truncated: _Optional[bool] = ..., next_marker: _Optional[str] = ..., keys: _Optional[_Iterable[str]] = ..., sizes: _Optional[_Iterable[int]] = ..., etags: _Optional[_Iterable[str]] = ..., mtimes_ns: _Optional[_Iterable[int]] = ..., is_inline: _Optional[_Iterable[bool]] = ...) -> None: ...

class ListObjectVersionsRequest(_message.Message):
    __slots__ = ("bucket", "prefix", "delimiter", "key_marker", "version_id_marker", "max_keys")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    DELIMITER_FIELD_NUMBER: _ClassVar[int]
    KEY_MARKER_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_MARKER_FIELD_NUMBER: _ClassVar[int]
    MAX_KEYS_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    prefix: str
    delimiter: str
    key_marker: str
    version_id_marker: str
    max_keys: int
    def __init__(self, bucket: _Optional[str] = ..., prefix: _Optional[str] = ..., delimiter: _Optional[str] = ..., key_marker: _Optional[str] = ..., version_id_marker: _Optional[str] = ..., max_keys: _Optional[int] = ...) -> None: ...

class ObjectVersion(_message.Message):
    __slots__ = ("record", "is_latest")
    RECORD_FIELD_NUMBER: _ClassVar[int]
    IS_LATEST_FIELD_NUMBER: _ClassVar[int]
    record: ObjectRecord
    is_latest: bool
    def __init__(self, record: _Optional[_Union[ObjectRecord, _Mapping]] = ..., is_latest: _Optional[bool] = ...) -> None: ...

class ListObjectVersionsReply(_message.Message):
    __slots__ = ("versions", "common_prefixes", "is_truncated", "next_key_marker", "next_version_id_marker")
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    COMMON_PREFIXES_FIELD_NUMBER: _ClassVar[int]
    IS_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    NEXT_KEY_MARKER_FIELD_NUMBER: _ClassVar[int]
    NEXT_VERSION_ID_MARKER_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[ObjectVersion]
    common_prefixes: _containers.RepeatedScalarFieldContainer[str]
    is_truncated: bool
    next_key_marker: str
    next_version_id_marker: str
    def __init__(self, versions: _Optional[_Iterable[_Union[ObjectVersion, _Mapping]]] = ..., common_prefixes: _Optional[_Iterable[str]] = ..., is_truncated: _Optional[bool] = ..., next_key_marker: _Optional[str] = ..., next_version_id_marker: _Optional[str] = ...) -> None: ...

class PutObjectTagsRequest(_message.Message):
    __slots__ = ("name", "tags")
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    name: ObjectName
    tags: _containers.ScalarMap[str, str]
    def __init__(self, name: _Optional[_Union[ObjectName, _Mapping]] = ..., tags: _Optional[_Mapping[str, str]] = ...) -> None: ...

class PutObjectTagsReply(_message.Message):
    __slots__ = ("version_id",)
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    version_id: str
    def __init__(self, version_id: _Optional[str] = ...) -> None: ...

class FindUnreferencedRequest(_message.Message):
    __slots__ = ("object_ids",)
    OBJECT_IDS_FIELD_NUMBER: _ClassVar[int]
    object_ids: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, object_ids: _Optional[_Iterable[bytes]] = ...) -> None: ...

class FindUnreferencedReply(_message.Message):
    __slots__ = ("object_ids",)
    OBJECT_IDS_FIELD_NUMBER: _ClassVar[int]
    object_ids: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, object_ids: _Optional[_Iterable[bytes]] = ...) -> None: ...

class MultipartUpload(_message.Message):
    __slots__ = ("format_version", "bucket", "key", "upload_id", "owner", "initiated_ns", "content_type", "user_meta", "headers", "pool", "tags", "object_owner", "acl")
    class UserMetaEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    FORMAT_VERSION_FIELD_NUMBER: _ClassVar[int]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    INITIATED_NS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    USER_META_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    OBJECT_OWNER_FIELD_NUMBER: _ClassVar[int]
    ACL_FIELD_NUMBER: _ClassVar[int]
    format_version: int
    bucket: str
    key: str
    upload_id: str
    owner: str
    initiated_ns: int
    content_type: str
    user_meta: _containers.ScalarMap[str, str]
    headers: _containers.ScalarMap[str, str]
    pool: str
    tags: _containers.ScalarMap[str, str]
    object_owner: str
    acl: bytes
    def __init__(self, format_version: _Optional[int] = ..., bucket: _Optional[str] = ..., key: _Optional[str] = ..., upload_id: _Optional[str] = ..., owner: _Optional[str] = ..., initiated_ns: _Optional[int] = ..., content_type: _Optional[str] = ..., user_meta: _Optional[_Mapping[str, str]] = ..., headers: _Optional[_Mapping[str, str]] = ..., pool: _Optional[str] = ..., tags: _Optional[_Mapping[str, str]] = ..., object_owner: _Optional[str] = ..., acl: _Optional[bytes] = ...) -> None: ...

class UploadName(_message.Message):
    __slots__ = ("bucket", "key", "upload_id")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    key: str
    upload_id: str
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ..., upload_id: _Optional[str] = ...) -> None: ...

class PutPartRequest(_message.Message):
    __slots__ = ("upload", "part")
    UPLOAD_FIELD_NUMBER: _ClassVar[int]
    PART_FIELD_NUMBER: _ClassVar[int]
    upload: UploadName
    part: PartLayout
    def __init__(self, upload: _Optional[_Union[UploadName, _Mapping]] = ..., part: _Optional[_Union[PartLayout, _Mapping]] = ...) -> None: ...

class PutPartReply(_message.Message):
    __slots__ = ("replaced", "has_replaced")
    REPLACED_FIELD_NUMBER: _ClassVar[int]
    HAS_REPLACED_FIELD_NUMBER: _ClassVar[int]
    replaced: PartLayout
    has_replaced: bool
    def __init__(self, replaced: _Optional[_Union[PartLayout, _Mapping]] = ..., has_replaced: _Optional[bool] = ...) -> None: ...

class ListPartsRequest(_message.Message):
    __slots__ = ("upload", "part_number_marker", "max_parts")
    UPLOAD_FIELD_NUMBER: _ClassVar[int]
    PART_NUMBER_MARKER_FIELD_NUMBER: _ClassVar[int]
    MAX_PARTS_FIELD_NUMBER: _ClassVar[int]
    upload: UploadName
    part_number_marker: int
    max_parts: int
    def __init__(self, upload: _Optional[_Union[UploadName, _Mapping]] = ..., part_number_marker: _Optional[int] = ..., max_parts: _Optional[int] = ...) -> None: ...

class ListPartsReply(_message.Message):
    __slots__ = ("upload", "parts", "is_truncated")
    UPLOAD_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    IS_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    upload: MultipartUpload
    parts: _containers.RepeatedCompositeFieldContainer[PartLayout]
    is_truncated: bool
    def __init__(self, upload: _Optional[_Union[MultipartUpload, _Mapping]] = ..., parts: _Optional[_Iterable[_Union[PartLayout, _Mapping]]] = ..., is_truncated: _Optional[bool] = ...) -> None: ...

class CompleteMultipartUploadRequest(_message.Message):
    __slots__ = ("upload", "record")
    UPLOAD_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    upload: UploadName
    record: ObjectRecord
    def __init__(self, upload: _Optional[_Union[UploadName, _Mapping]] = ..., record: _Optional[_Union[ObjectRecord, _Mapping]] = ...) -> None: ...

class CompleteMultipartUploadReply(_message.Message):
    __slots__ = ("replaced", "has_replaced", "discarded", "version_id")
    REPLACED_FIELD_NUMBER: _ClassVar[int]
    HAS_REPLACED_FIELD_NUMBER: _ClassVar[int]
    DISCARDED_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    replaced: ObjectRecord
    has_replaced: bool
    discarded: _containers.RepeatedCompositeFieldContainer[PartLayout]
    version_id: str
    def __init__(self, replaced: _Optional[_Union[ObjectRecord, _Mapping]] = ..., has_replaced: _Optional[bool] = ..., discarded: _Optional[_Iterable[_Union[PartLayout, _Mapping]]] = ..., version_id: _Optional[str] = ...) -> None: ...

class AbortMultipartUploadReply(_message.Message):
    __slots__ = ("parts",)
    PARTS_FIELD_NUMBER: _ClassVar[int]
    parts: _containers.RepeatedCompositeFieldContainer[PartLayout]
    def __init__(self, parts: _Optional[_Iterable[_Union[PartLayout, _Mapping]]] = ...) -> None: ...

class ListMultipartUploadsRequest(_message.Message):
    __slots__ = ("bucket", "prefix", "delimiter", "key_marker", "upload_id_marker", "max_uploads")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    DELIMITER_FIELD_NUMBER: _ClassVar[int]
    KEY_MARKER_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_ID_MARKER_FIELD_NUMBER: _ClassVar[int]
    MAX_UPLOADS_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    prefix: str
    delimiter: str
    key_marker: str
    upload_id_marker: str
    max_uploads: int
    def __init__(self, bucket: _Optional[str] = ..., prefix: _Optional[str] = ..., delimiter: _Optional[str] = ..., key_marker: _Optional[str] = ..., upload_id_marker: _Optional[str] = ..., max_uploads: _Optional[int] = ...) -> None: ...

class ListMultipartUploadsReply(_message.Message):
    __slots__ = ("uploads", "common_prefixes", "is_truncated", "next_key_marker", "next_upload_id_marker")
    UPLOADS_FIELD_NUMBER: _ClassVar[int]
    COMMON_PREFIXES_FIELD_NUMBER: _ClassVar[int]
    IS_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    NEXT_KEY_MARKER_FIELD_NUMBER: _ClassVar[int]
    NEXT_UPLOAD_ID_MARKER_FIELD_NUMBER: _ClassVar[int]
    uploads: _containers.RepeatedCompositeFieldContainer[MultipartUpload]
    common_prefixes: _containers.RepeatedScalarFieldContainer[str]
    is_truncated: bool
    next_key_marker: str
    next_upload_id_marker: str
    def __init__(self, uploads: _Optional[_Iterable[_Union[MultipartUpload, _Mapping]]] = ..., common_prefixes: _Optional[_Iterable[str]] = ..., is_truncated: _Optional[bool] = ..., next_key_marker: _Optional[str] = ..., next_upload_id_marker: _Optional[str] = ...) -> None: ...

class User(_message.Message):
    __slots__ = ("name", "created_ms", "is_admin")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CREATED_MS_FIELD_NUMBER: _ClassVar[int]
    IS_ADMIN_FIELD_NUMBER: _ClassVar[int]
    name: str
    created_ms: int
    is_admin: bool
    def __init__(self, name: _Optional[str] = ..., created_ms: _Optional[int] = ..., is_admin: _Optional[bool] = ...) -> None: ...

class UserName(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class CreateUserRequest(_message.Message):
    __slots__ = ("name", "is_admin")
    NAME_FIELD_NUMBER: _ClassVar[int]
    IS_ADMIN_FIELD_NUMBER: _ClassVar[int]
    name: str
    is_admin: bool
    def __init__(self, name: _Optional[str] = ..., is_admin: _Optional[bool] = ...) -> None: ...

class ListUsersReply(_message.Message):
    __slots__ = ("users",)
    USERS_FIELD_NUMBER: _ClassVar[int]
    users: _containers.RepeatedCompositeFieldContainer[User]
    def __init__(self, users: _Optional[_Iterable[_Union[User, _Mapping]]] = ...) -> None: ...

class AccessKey(_message.Message):
    __slots__ = ("access_key", "secret_key", "user", "created_ms", "is_admin")
    ACCESS_KEY_FIELD_NUMBER: _ClassVar[int]
    SECRET_KEY_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    CREATED_MS_FIELD_NUMBER: _ClassVar[int]
    IS_ADMIN_FIELD_NUMBER: _ClassVar[int]
    access_key: str
    secret_key: str
    user: str
    created_ms: int
    is_admin: bool
    def __init__(self, access_key: _Optional[str] = ..., secret_key: _Optional[str] = ..., user: _Optional[str] = ..., created_ms: _Optional[int] = ..., is_admin: _Optional[bool] = ...) -> None: ...

class AccessKeyId(_message.Message):
    __slots__ = ("access_key",)
    ACCESS_KEY_FIELD_NUMBER: _ClassVar[int]
    access_key: str
    def __init__(self, access_key: _Optional[str] = ...) -> None: ...

class CreateAccessKeyRequest(_message.Message):
    __slots__ = ("user", "access_key", "secret_key")
    USER_FIELD_NUMBER: _ClassVar[int]
    ACCESS_KEY_FIELD_NUMBER: _ClassVar[int]
    SECRET_KEY_FIELD_NUMBER: _ClassVar[int]
    user: str
    access_key: str
    secret_key: str
    def __init__(self, user: _Optional[str] = ..., access_key: _Optional[str] = ..., secret_key: _Optional[str] = ...) -> None: ...

class ListAccessKeysReply(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[AccessKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[AccessKey, _Mapping]]] = ...) -> None: ...

class ClusterStatus(_message.Message):
    __slots__ = ("map", "bucket_count", "object_count", "degraded_stripes", "capacity_bytes", "used_bytes")
    MAP_FIELD_NUMBER: _ClassVar[int]
    BUCKET_COUNT_FIELD_NUMBER: _ClassVar[int]
    OBJECT_COUNT_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_STRIPES_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_BYTES_FIELD_NUMBER: _ClassVar[int]
    USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    map: ClusterMap
    bucket_count: int
    object_count: int
    degraded_stripes: int
    capacity_bytes: int
    used_bytes: int
    def __init__(self, map: _Optional[_Union[ClusterMap, _Mapping]] = ..., bucket_count: _Optional[int] = ..., object_count: _Optional[int] = ..., degraded_stripes: _Optional[int] = ..., capacity_bytes: _Optional[int] = ..., used_bytes: _Optional[int] = ...) -> None: ...

class RepairStatus(_message.Message):
    __slots__ = ("stripes_pending", "stripes_done", "stripes_failed", "stripes_dropped", "fragments_rebuilt", "bytes_read", "bytes_written", "degraded_stripes", "lost_osd_ids", "scans_completed", "last_scan_ms", "bytes_per_second_max", "reports_received", "rebalance_active", "rebalance_stripes_pending", "rebalance_stripes_misplaced", "rebalance_fragments_moved", "rebalance_bytes_moved", "rebalance_stripes_failed")
    STRIPES_PENDING_FIELD_NUMBER: _ClassVar[int]
    STRIPES_DONE_FIELD_NUMBER: _ClassVar[int]
    STRIPES_FAILED_FIELD_NUMBER: _ClassVar[int]
    STRIPES_DROPPED_FIELD_NUMBER: _ClassVar[int]
    FRAGMENTS_REBUILT_FIELD_NUMBER: _ClassVar[int]
    BYTES_READ_FIELD_NUMBER: _ClassVar[int]
    BYTES_WRITTEN_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_STRIPES_FIELD_NUMBER: _ClassVar[int]
    LOST_OSD_IDS_FIELD_NUMBER: _ClassVar[int]
    SCANS_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    LAST_SCAN_MS_FIELD_NUMBER: _ClassVar[int]
    BYTES_PER_SECOND_MAX_FIELD_NUMBER: _ClassVar[int]
    REPORTS_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    REBALANCE_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    REBALANCE_STRIPES_PENDING_FIELD_NUMBER: _ClassVar[int]
    REBALANCE_STRIPES_MISPLACED_FIELD_NUMBER: _ClassVar[int]
    REBALANCE_FRAGMENTS_MOVED_FIELD_NUMBER: _ClassVar[int]
    REBALANCE_BYTES_MOVED_FIELD_NUMBER: _ClassVar[int]
    REBALANCE_STRIPES_FAILED_FIELD_NUMBER: _ClassVar[int]
    stripes_pending: int
    stripes_done: int
    stripes_failed: int
    stripes_dropped: int
    fragments_rebuilt: int
    bytes_read: int
    bytes_written: int
    degraded_stripes: int
    lost_osd_ids: _containers.RepeatedScalarFieldContainer[int]
    scans_completed: int
    last_scan_ms: int
    bytes_per_second_max: int
    reports_received: int
    rebalance_active: bool
    rebalance_stripes_pending: int
    rebalance_stripes_misplaced: int
    rebalance_fragments_moved: int
    rebalance_bytes_moved: int
    rebalance_stripes_failed: int
    def __init__(self, stripes_pending: _Optional[int] = ..., stripes_done: _Optional[int] = ..., stripes_failed: _Optional[int] = ..., stripes_dropped: _Optional[int] = ..., fragments_rebuilt: _Optional[int] = ..., bytes_read: _Optional[int] = ..., bytes_written: _Optional[int] = ..., degraded_stripes: _Optional[int] = ..., lost_osd_ids: _Optional[_Iterable[int]] = ..., scans_completed: _Optional[int] = ..., last_scan_ms: _Optional[int] = ..., bytes_per_second_max: _Optional[int] = ..., reports_received: _Optional[int] = ..., rebalance_active: _Optional[bool] = ..., rebalance_stripes_pending: _Optional[int] = ..., rebalance_stripes_misplaced: _Optional[int] = ..., rebalance_fragments_moved: _Optional[int] = ..., rebalance_bytes_moved: _Optional[int] = ..., rebalance_stripes_failed: _Optional[int] = ...) -> None: ...

class ShardRef(_message.Message):
    __slots__ = ("object_id", "stripe_index", "fragment_index")
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    STRIPE_INDEX_FIELD_NUMBER: _ClassVar[int]
    FRAGMENT_INDEX_FIELD_NUMBER: _ClassVar[int]
    object_id: bytes
    stripe_index: int
    fragment_index: int
    def __init__(self, object_id: _Optional[bytes] = ..., stripe_index: _Optional[int] = ..., fragment_index: _Optional[int] = ...) -> None: ...

class ReportDegradedStripeRequest(_message.Message):
    __slots__ = ("bucket", "key", "object_id", "stripe_index", "failed_fragments")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    STRIPE_INDEX_FIELD_NUMBER: _ClassVar[int]
    FAILED_FRAGMENTS_FIELD_NUMBER: _ClassVar[int]
    bucket: str
    key: str
    object_id: bytes
    stripe_index: int
    failed_fragments: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, bucket: _Optional[str] = ..., key: _Optional[str] = ..., object_id: _Optional[bytes] = ..., stripe_index: _Optional[int] = ..., failed_fragments: _Optional[_Iterable[int]] = ...) -> None: ...

class ReportCorruptShardsRequest(_message.Message):
    __slots__ = ("osd_id", "shards")
    OSD_ID_FIELD_NUMBER: _ClassVar[int]
    SHARDS_FIELD_NUMBER: _ClassVar[int]
    osd_id: int
    shards: _containers.RepeatedCompositeFieldContainer[ShardRef]
    def __init__(self, osd_id: _Optional[int] = ..., shards: _Optional[_Iterable[_Union[ShardRef, _Mapping]]] = ...) -> None: ...

class ReportCorruptShardsReply(_message.Message):
    __slots__ = ("marked_missing",)
    MARKED_MISSING_FIELD_NUMBER: _ClassVar[int]
    marked_missing: int
    def __init__(self, marked_missing: _Optional[int] = ...) -> None: ...

class CheckPlacementsRequest(_message.Message):
    __slots__ = ("osd_id", "shards")
    OSD_ID_FIELD_NUMBER: _ClassVar[int]
    SHARDS_FIELD_NUMBER: _ClassVar[int]
    osd_id: int
    shards: _containers.RepeatedCompositeFieldContainer[ShardRef]
    def __init__(self, osd_id: _Optional[int] = ..., shards: _Optional[_Iterable[_Union[ShardRef, _Mapping]]] = ...) -> None: ...

class CheckPlacementsReply(_message.Message):
    __slots__ = ("stale",)
    STALE_FIELD_NUMBER: _ClassVar[int]
    stale: _containers.RepeatedCompositeFieldContainer[ShardRef]
    def __init__(self, stale: _Optional[_Iterable[_Union[ShardRef, _Mapping]]] = ...) -> None: ...

class StartScrubRequest(_message.Message):
    __slots__ = ("osd_ids",)
    OSD_IDS_FIELD_NUMBER: _ClassVar[int]
    osd_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, osd_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class OsdScrubStatus(_message.Message):
    __slots__ = ("osd_id", "reachable", "error", "running", "passes_completed", "shards_verified", "shards_corrupt", "bytes_verified", "quarantined", "pass_started_ms", "pass_finished_ms")
    OSD_ID_FIELD_NUMBER: _ClassVar[int]
    REACHABLE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    PASSES_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    SHARDS_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    SHARDS_CORRUPT_FIELD_NUMBER: _ClassVar[int]
    BYTES_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    QUARANTINED_FIELD_NUMBER: _ClassVar[int]
    PASS_STARTED_MS_FIELD_NUMBER: _ClassVar[int]
    PASS_FINISHED_MS_FIELD_NUMBER: _ClassVar[int]
    osd_id: int
    reachable: bool
    error: str
    running: bool
    passes_completed: int
    shards_verified: int
    shards_corrupt: int
    bytes_verified: int
    quarantined: int
    pass_started_ms: int
    pass_finished_ms: int
    def __init__(self, osd_id: _Optional[int] = ..., reachable: _Optional[bool] = ..., error: _Optional[str] = ..., running: _Optional[bool] = ..., passes_completed: _Optional[int] = ..., shards_verified: _Optional[int] = ..., shards_corrupt: _Optional[int] = ..., bytes_verified: _Optional[int] = ..., quarantined: _Optional[int] = ..., pass_started_ms: _Optional[int] = ..., pass_finished_ms: _Optional[int] = ...) -> None: ...

class ScrubStatusReply(_message.Message):
    __slots__ = ("osds",)
    OSDS_FIELD_NUMBER: _ClassVar[int]
    osds: _containers.RepeatedCompositeFieldContainer[OsdScrubStatus]
    def __init__(self, osds: _Optional[_Iterable[_Union[OsdScrubStatus, _Mapping]]] = ...) -> None: ...

class ExportRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ClusterInfo(_message.Message):
    __slots__ = ("cluster_id", "epoch", "default_pool", "next_osd_id")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_POOL_FIELD_NUMBER: _ClassVar[int]
    NEXT_OSD_ID_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    epoch: int
    default_pool: str
    next_osd_id: int
    def __init__(self, cluster_id: _Optional[str] = ..., epoch: _Optional[int] = ..., default_pool: _Optional[str] = ..., next_osd_id: _Optional[int] = ...) -> None: ...

class UploadPart(_message.Message):
    __slots__ = ("upload_id", "part")
    UPLOAD_ID_FIELD_NUMBER: _ClassVar[int]
    PART_FIELD_NUMBER: _ClassVar[int]
    upload_id: str
    part: PartLayout
    def __init__(self, upload_id: _Optional[str] = ..., part: _Optional[_Union[PartLayout, _Mapping]] = ...) -> None: ...

class MetaItem(_message.Message):
    __slots__ = ("cluster", "osd", "pool", "user", "access_key", "bucket", "object", "upload", "upload_part")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    OSD_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    ACCESS_KEY_FIELD_NUMBER: _ClassVar[int]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    OBJECT_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_PART_FIELD_NUMBER: _ClassVar[int]
    cluster: ClusterInfo
    osd: Osd
    pool: Pool
    user: User
    access_key: AccessKey
    bucket: Bucket
    object: ObjectRecord
    upload: MultipartUpload
    upload_part: UploadPart
    def __init__(self, cluster: _Optional[_Union[ClusterInfo, _Mapping]] = ..., osd: _Optional[_Union[Osd, _Mapping]] = ..., pool: _Optional[_Union[Pool, _Mapping]] = ..., user: _Optional[_Union[User, _Mapping]] = ..., access_key: _Optional[_Union[AccessKey, _Mapping]] = ..., bucket: _Optional[_Union[Bucket, _Mapping]] = ..., object: _Optional[_Union[ObjectRecord, _Mapping]] = ..., upload: _Optional[_Union[MultipartUpload, _Mapping]] = ..., upload_part: _Optional[_Union[UploadPart, _Mapping]] = ...) -> None: ...

class ImportReply(_message.Message):
    __slots__ = ("imported", "skipped")
    IMPORTED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    imported: int
    skipped: int
    def __init__(self, imported: _Optional[int] = ..., skipped: _Optional[int] = ...) -> None: ...
