"""Removal of stale fragment copies on one OSD: fragments whose object still exists but whose
record places them on another OSD (or nowhere) — left behind when this OSD was down long enough
for the repair manager to rebuild them elsewhere, or when a write to it failed mid-object.

The OSD asks meta (``CheckPlacements``) about every fragment it holds, at start-up (right after
it registers: the moment a returning OSD is most likely to hold stale copies) and then every
``stale_sweep_interval_ms`` (a sweep asks about every fragment on the disk: not too often).
Meta answers only for objects that have a record (the orphan collector, ``gc.py``, owns object
ids without one) and never names a fragment it wrote to this OSD in the last few minutes (its
record may be mid-update). Reads never see stale copies either way: readers ask only the OSD
the record names. A stale copy is verified before it is deleted; one that turns out corrupt is
quarantined instead (``quarantine.py``): corrupt data is set aside, not silently removed.
"""

from __future__ import annotations

import asyncio
import logging

from objectio.common.logs import log_fields
from objectio.common.shardkey import is_descriptor_key, parse_shard_key, shard_key
from objectio.meta.client import MetaClient, MetaError
from objectio.native.engine import CorruptionError, EngineError, NotFoundError
from objectio.osd import quarantine
from objectio.osd.store import ShardStore
from objectio.protos import meta_pb2

log = logging.getLogger("objectio.osd.reconcile")

SCAN_PAGE_SHARDS = 1000
QUERY_BATCH_SHARDS = 1000


class StaleCopySweeper:
    def __init__(self, store: ShardStore, meta: MetaClient, osd_id: int) -> None:
        self.store = store
        self.meta = meta
        self.osd_id = osd_id
        self.deleted_total = 0
        self.quarantined_total = 0

    async def sweep(self) -> int:
        """One pass over the disk; returns the number of stale copies removed or quarantined."""
        removed = 0
        batch: list[bytes] = []
        start_after = b""
        while True:
            page = await self.store.scan(b"", start_after, SCAN_PAGE_SHARDS)
            batch.extend(
                info.key for info in page if quarantine.is_shard_key(info.key) and not is_descriptor_key(info.key)
            )  # descriptor copies are no fragment any record places: never stale
            if len(batch) >= QUERY_BATCH_SHARDS or len(page) < SCAN_PAGE_SHARDS:
                removed += await self._settle(batch)
                batch = []
            if len(page) < SCAN_PAGE_SHARDS:
                return removed
            start_after = page[-1].key

    async def _settle(self, keys: list[bytes]) -> int:
        if not keys:
            return 0
        refs = []
        for key in keys:
            address = parse_shard_key(key)
            refs.append(
                meta_pb2.ShardRef(
                    object_id=address.object_id,
                    stripe_index=address.stripe_index,
                    fragment_index=address.fragment_index,
                )
            )
        reply = await self.meta.check_placements(self.osd_id, refs)
        removed = 0
        for ref in reply.stale:
            removed += await self._remove(shard_key(ref.object_id, ref.stripe_index, ref.fragment_index))
        return removed

    async def _remove(self, key: bytes) -> int:
        try:
            generation = (await self.store.stat(key)).generation
        except NotFoundError:
            return 0
        except EngineError:
            generation = -1  # header unreadable: an entry of any generation covers it
        if await quarantine.is_quarantined(self.store, key, generation):
            return 0  # kept for the operator until the object itself goes
        try:
            await self.store.verify(key)
        except CorruptionError as exc:
            await quarantine.quarantine(self.store, key, f"stale copy failed verification: {exc}")
            self.quarantined_total += 1
            return 1
        except NotFoundError:
            return 0
        try:
            await self.store.delete(key)
        except NotFoundError:
            return 0
        except EngineError as exc:
            log.warning("could not delete a stale copy: %s", exc)
            return 0
        self.deleted_total += 1
        return 1

    async def run_forever(self, interval_ms: int) -> None:
        """A sweep now (a returning OSD), then one every ``interval_ms``."""
        while True:
            try:
                removed = await self.sweep()
                if removed:
                    log.info("stale fragment copies removed", extra=log_fields(fragments=removed))
            except (MetaError, EngineError) as exc:
                log.warning("stale-copy sweep interrupted: %s", exc)
            await asyncio.sleep(interval_ms / 1000)
