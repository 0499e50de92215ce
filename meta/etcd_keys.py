"""The key layout and value encoding of the etcd metadata store.

Every key starts with the configured prefix ``P`` (``meta.etcd_prefix``, default
``/objectio/``), so several clusters (or tests) can share one etcd. Names are UTF-8; ``\\0``
separates a bucket name (which never contains it) from what follows, and sorts before every
other byte, so ``(bucket, key)`` tuple order is byte order of the etcd key.

=============================================== ==================================================
key                                             value
=============================================== ==================================================
``P c/meta``                                    cluster info (JSON): cluster_id, epoch, default_pool,
                                                next_osd_id, created_ms
``P c/osd/<id, 10 digits>``                     ``Osd``
``P c/pool/<name>``                             ``Pool``
``P leader``                                    the meta instance leading background work (lease)
``P b/<bucket>``                                ``Bucket``
``P o/<bucket>\\0<key>``                         ``ObjectRecord`` of the key's latest version when it
                                                is an object (never a delete marker): a bucket's
                                                listable objects are one key range, in S3 listing
                                                order, and a GET of the latest is one read
``P v/<bucket>\\0<K>\\0\\1<vorder>``              ``ObjectRecord`` of every other version of a
                                                versioned bucket's key (older versions, and every
                                                delete marker, the latest one included); ``K`` is
                                                the key with each NUL byte escaped as NUL 0xFF, so
                                                the versions of a key are one range ordered by
                                                ``version_order`` (newest first) and the keys sort
                                                in (key, version order) order
``P d/<bucket>\\0<key>``                         degraded stripe count of the ``o/`` record (decimal),
                                                only while it is > 0 (GetStatus sums this small
                                                range and the next)
``P dv/<bucket>\\0<K>\\0\\1<vorder>``             the same for a ``v/`` record
``P i/<object id, 16 bytes>``                   who references that id (JSON: bucket, key, the
                                                version order of the version naming it, and for
                                                parts upload_id and part number) — an index for
                                                FindUnreferenced and the repair look-ups
``P u/<bucket>\\0<key>\\0<upload id>``            ``MultipartUpload``
``P p/<bucket>\\0<key>\\0<upload id>\\0<nnnnn>``   ``PartLayout`` of part number nnnnn
``P user/<name>``                               ``User``
``P ak/<access key>``                           ``AccessKey`` (with its secret)
=============================================== ==================================================

The cluster map (everything under ``P c/``) is one range, watched by every meta instance.

Values: one format-version byte (:data:`VALUE_FORMAT_VERSION`), then the protobuf (or JSON)
encoding. A value whose version byte is unknown, that does not decode, or that names another
key than the one it was read from is :class:`CorruptRecord`.

The ``i/`` index is validated when read, not kept exact: an entry names where the id *was*
referenced, and the id counts as referenced only if that record (or upload part) still names it.
A version keeps its ``version_order`` (from its ``mtime_ns``) when it moves from ``o/`` to
``v/``, so an entry stays true without a rewrite: it is checked against the latest record, then
the ``v/`` key of its order (or, for a part, which carries no order, every version of the key).
Entries of versions removed for good are deleted with them (plain objects) or right after
(multipart parts, in bounded batches); one a crash left behind is harmless and removed when GC
asks about its id. Entries are written before (or with) what they index, never after.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TypeVar

from google.protobuf.message import DecodeError, Message

from objectio.meta.errors import CorruptRecord

VALUE_FORMAT_VERSION = 1
M = TypeVar("M", bound=Message)
SEP = b"\0"
KEY_END = b"\0\1"  # ends an escaped key: sorts below any continuation of the key (escape_key)


def escape_key(raw: bytes) -> bytes:
    """Order-preserving escape of an object key (NUL becomes NUL 0xFF): ``escape_key(a) +
    KEY_END < escape_key(b)`` whenever ``a < b``, so (key, suffix) sorts in key order first."""
    return raw.replace(b"\0", b"\0\xff")


def encode(message: Message) -> bytes:
    payload: bytes = message.SerializeToString()
    return bytes([VALUE_FORMAT_VERSION]) + payload


def decode(message: M, value: bytes, key: bytes) -> M:
    if not value or value[0] != VALUE_FORMAT_VERSION:
        raise CorruptRecord(f"etcd key {key!r}: value format version {value[:1]!r}, this release reads 1")
    try:
        message.ParseFromString(value[1:])
    except DecodeError as exc:
        raise CorruptRecord(f"etcd key {key!r}: undecodable {type(message).__name__}: {exc}") from None
    return message


def encode_json(obj: dict[str, object]) -> bytes:
    return bytes([VALUE_FORMAT_VERSION]) + json.dumps(obj, sort_keys=True).encode()


def decode_json(value: bytes, key: bytes) -> dict[str, object]:
    if not value or value[0] != VALUE_FORMAT_VERSION:
        raise CorruptRecord(f"etcd key {key!r}: value format version {value[:1]!r}, this release reads 1")
    try:
        obj = json.loads(value[1:])
    except ValueError as exc:
        raise CorruptRecord(f"etcd key {key!r}: undecodable JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise CorruptRecord(f"etcd key {key!r}: JSON value is not an object")
    return obj


@dataclass(frozen=True)
class IdRef:
    """An entry of the object-id index: where an object id is (or was) referenced."""

    bucket: str
    key: str
    upload_id: str = ""  # set for a part: referenced while that upload holds it...
    part_number: int = 0  # ...or while a version of (bucket, key) lists it as a part
    vorder: str = ""  # version_order of the version naming it ("": look at every version)

    def encode(self) -> bytes:
        obj: dict[str, object] = {"b": self.bucket, "k": self.key, "u": self.upload_id, "n": self.part_number}
        if self.vorder:
            obj["o"] = self.vorder
        return encode_json(obj)

    @staticmethod
    def decode(value: bytes, key: bytes) -> IdRef:
        obj = decode_json(value, key)
        try:
            return IdRef(str(obj["b"]), str(obj["k"]), str(obj["u"]), int(obj["n"]), str(obj.get("o", "")))  # type: ignore[call-overload]
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptRecord(f"etcd key {key!r}: bad object-id index entry: {exc}") from None


class Layout:
    """Every key of one cluster, under ``prefix``."""

    def __init__(self, prefix: str) -> None:
        if not prefix.startswith("/") or not prefix.endswith("/"):
            raise ValueError(f"etcd prefix {prefix!r} must start and end with '/'")
        self.prefix = prefix.encode()
        p = self.prefix
        self.cluster_meta = p + b"c/meta"
        self.cluster_range = p + b"c/"
        self.osds = p + b"c/osd/"
        self.pools = p + b"c/pool/"
        self.leader = p + b"leader"
        self.buckets = p + b"b/"
        self.objects = p + b"o/"
        self.degraded = p + b"d/"
        self.versions = p + b"v/"
        self.degraded_versions = p + b"dv/"
        self.ids = p + b"i/"
        self.uploads = p + b"u/"
        self.parts = p + b"p/"
        self.users = p + b"user/"
        self.access_keys = p + b"ak/"

    def osd(self, osd_id: int) -> bytes:
        return self.osds + b"%010d" % osd_id

    def pool(self, name: str) -> bytes:
        return self.pools + name.encode()

    def bucket(self, name: str) -> bytes:
        return self.buckets + name.encode()

    def bucket_objects(self, bucket: str) -> bytes:
        """Prefix of every object key of ``bucket``; append a key's UTF-8 bytes for its key."""
        return self.objects + bucket.encode() + SEP

    def object(self, bucket: str, key: str) -> bytes:
        return self.bucket_objects(bucket) + key.encode()

    def object_name(self, etcd_key: bytes) -> tuple[str, str]:
        """(bucket, key) of an ``o/`` key."""
        bucket, _, key = etcd_key[len(self.objects) :].partition(SEP)
        return bucket.decode(), key.decode()

    def degraded_of(self, bucket: str, key: str) -> bytes:
        return self.degraded + bucket.encode() + SEP + key.encode()

    def bucket_versions(self, bucket: str) -> bytes:
        """Prefix of every ``v/`` key of ``bucket``; append :func:`escape_key` of a key bound."""
        return self.versions + bucket.encode() + SEP

    def key_versions(self, bucket: str, key: str) -> bytes:
        """Prefix of the versions of one key; append a version order for one version."""
        return self.bucket_versions(bucket) + escape_key(key.encode()) + KEY_END

    def version(self, bucket: str, key: str, vorder: str) -> bytes:
        return self.key_versions(bucket, key) + vorder.encode()

    def degraded_version(self, bucket: str, key: str, vorder: str) -> bytes:
        return self.degraded_versions + bucket.encode() + SEP + escape_key(key.encode()) + KEY_END + vorder.encode()

    def object_id(self, object_id: bytes) -> bytes:
        return self.ids + object_id

    def bucket_uploads(self, bucket: str) -> bytes:
        return self.uploads + bucket.encode() + SEP

    def upload(self, bucket: str, key: str, upload_id: str) -> bytes:
        return self.bucket_uploads(bucket) + key.encode() + SEP + upload_id.encode()

    def bucket_parts(self, bucket: str) -> bytes:
        return self.parts + bucket.encode() + SEP

    def upload_parts(self, bucket: str, key: str, upload_id: str) -> bytes:
        """Prefix of the parts of one upload; parts sort by number (five digits)."""
        return self.bucket_parts(bucket) + key.encode() + SEP + upload_id.encode() + SEP

    def part(self, bucket: str, key: str, upload_id: str, part_number: int) -> bytes:
        return self.upload_parts(bucket, key, upload_id) + b"%05d" % part_number

    def user(self, name: str) -> bytes:
        return self.users + name.encode()

    def access_key(self, access_key: str) -> bytes:
        return self.access_keys + access_key.encode()
