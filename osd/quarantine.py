"""Quarantine of corrupt fragments on one OSD: set aside, never silently deleted.

The engine refuses to return bytes whose checksum fails, so a corrupt fragment cannot be copied
aside. Instead it stays where it is (the engine keeps refusing to serve it; the record no longer
points to it once meta has been told) and a *quarantine entry* is written next to it under the
reserved key prefix :data:`QUARANTINE_PREFIX`: the fragment's key, length, checksum, generation
and the time and reason of detection, with the fragment's own ShardMeta. ``ListShards`` and the
collectors ignore keys that are not shard keys, so the entry and the corrupt record stay on disk
for an operator (or a forensics tool reading the device at the record's extent) until the object
itself is deleted or overwritten. An entry names the record's generation: if the same key is
written again later (a repair placing the fragment back on this OSD), the entry is history and
the new record is verified and served like any other — then ``DeleteShards`` by object id removes the corrupt record
like any other fragment, and the entry remains as the log of what happened.
"""

from __future__ import annotations

import json
import time

from objectio.common.shardkey import SHARD_KEY_BYTES
from objectio.native.engine import EngineError, NotFoundError
from objectio.osd.store import ShardStore

QUARANTINE_PREFIX = b"\xffquarantine/"  # sorts after every shard key whose object id starts below 0xff
ENTRY_FORMAT_VERSION = 1
SCAN_PAGE = 1000


def is_shard_key(key: bytes) -> bool:
    return len(key) == SHARD_KEY_BYTES and not key.startswith(QUARANTINE_PREFIX)


def entry_key(key: bytes) -> bytes:
    assert len(key) == SHARD_KEY_BYTES, "quarantine entries name shard keys"
    return QUARANTINE_PREFIX + key


async def quarantined_generation(store: ShardStore, key: bytes) -> int | None:
    """The generation of the record the entry for ``key`` names; None without an entry."""
    try:
        raw = await store.get(entry_key(key))
    except NotFoundError:
        return None
    try:
        generation = json.loads(raw).get("generation", -1)
    except ValueError:
        return -1  # an unreadable entry still marks the key as quarantined once
    return int(generation)


async def is_quarantined(store: ShardStore, key: bytes, generation: int) -> bool:
    """Whether the record ``key`` at ``generation`` is the one quarantined. A key rewritten since
    (a later put of the same fragment) has another generation: its entry is history only."""
    return await quarantined_generation(store, key) in (generation, -1)


async def quarantine(store: ShardStore, key: bytes, reason: str) -> None:
    """Write (or replace) the entry for corrupt fragment ``key``."""
    details: dict[str, object] = {"format_version": ENTRY_FORMAT_VERSION, "reason": reason}
    meta = b""
    try:
        info = await store.stat(key)
        details.update(length=info.length, crc32c=info.crc32c, generation=info.generation)
        meta = info.meta
    except EngineError as exc:  # even the record's header may be unreadable
        details["stat_error"] = str(exc)
    details["detected_ms"] = int(time.time() * 1000)
    await store.put(entry_key(key), json.dumps(details, sort_keys=True).encode(), meta)


async def count(store: ShardStore) -> int:
    total = 0
    start_after = b""
    while True:
        page = await store.scan(QUARANTINE_PREFIX, start_after, SCAN_PAGE)
        total += len(page)
        if len(page) < SCAN_PAGE:
            return total
        start_after = page[-1].key
