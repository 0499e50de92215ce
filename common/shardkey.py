"""Names of object versions and of their fragments on the OSDs.

An object id is 16 bytes: a 6-byte big-endian millisecond timestamp followed by 10 random bytes,
so ids sort by creation time and garbage collection can tell how old an unreferenced fragment is.
A fragment's engine key is ``object_id | stripe_index (u32 BE) | fragment_index (u8)`` (21 bytes),
so all fragments of one object on an OSD share the 16-byte prefix and sort by stripe.
The object's descriptor copies (self-describing shards) use stripe index
:data:`DESCRIPTOR_STRIPE` and the copy number as fragment index: they sort after every fragment
and go wherever the object id goes (deletes by object id, orphan collection).
"""

from __future__ import annotations

import os
import struct
import time
from typing import NamedTuple

OBJECT_ID_BYTES = 16
SHARD_KEY_BYTES = OBJECT_ID_BYTES + 5
DESCRIPTOR_STRIPE = 0xFFFFFFFF  # stripe index of an object's descriptor copies
DESCRIPTOR_COPIES_MAX = 16  # copy numbers 0..15
_SUFFIX = struct.Struct(">IB")


class ShardAddress(NamedTuple):
    object_id: bytes
    stripe_index: int
    fragment_index: int


def new_object_id(now_ms: int | None = None) -> bytes:
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    return ms.to_bytes(6, "big") + os.urandom(OBJECT_ID_BYTES - 6)


def object_id_age_ms(object_id: bytes, now_ms: int | None = None) -> int:
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    return ms - int.from_bytes(object_id[:6], "big")


def shard_key(object_id: bytes, stripe_index: int, fragment_index: int) -> bytes:
    if len(object_id) != OBJECT_ID_BYTES:
        raise ValueError(f"object id must be {OBJECT_ID_BYTES} bytes, got {len(object_id)}")
    return object_id + _SUFFIX.pack(stripe_index, fragment_index)


def parse_shard_key(key: bytes) -> ShardAddress:
    if len(key) != SHARD_KEY_BYTES:
        raise ValueError(f"shard key must be {SHARD_KEY_BYTES} bytes, got {len(key)}")
    stripe, fragment = _SUFFIX.unpack(key[OBJECT_ID_BYTES:])
    return ShardAddress(key[:OBJECT_ID_BYTES], stripe, fragment)


def descriptor_key(object_id: bytes, copy: int) -> bytes:
    if not 0 <= copy < DESCRIPTOR_COPIES_MAX:
        raise ValueError(f"descriptor copy {copy} outside 0..{DESCRIPTOR_COPIES_MAX - 1}")
    return shard_key(object_id, DESCRIPTOR_STRIPE, copy)


def is_descriptor_key(key: bytes) -> bool:
    return len(key) == SHARD_KEY_BYTES and _SUFFIX.unpack(key[OBJECT_ID_BYTES:])[0] == DESCRIPTOR_STRIPE
