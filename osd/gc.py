"""Garbage collection of orphan fragments on one OSD.

A fragment is an orphan when no object record points to its object id: left by a gateway killed
mid-PUT, by a failed PUT whose cleanup did not reach this OSD, or by an overwrite/delete whose
background deletion missed it. Object ids begin with their creation time in milliseconds, so the
collector only asks about ids older than ``grace_ms`` — longer than any PUT may take — and a
record that could still be committed is never raced. Meta answers which ids are unreferenced
(``FindUnreferenced``); those fragments are deleted.
"""

from __future__ import annotations

import asyncio
import logging

from objectio.common.logs import log_fields
from objectio.common.shardkey import OBJECT_ID_BYTES, object_id_age_ms
from objectio.meta.client import MetaClient, MetaError
from objectio.native.engine import EngineError, NotFoundError
from objectio.osd import quarantine
from objectio.osd.store import ShardStore

log = logging.getLogger("objectio.osd.gc")

SCAN_PAGE_SHARDS = 1000
QUERY_BATCH_IDS = 500


class OrphanCollector:
    def __init__(self, store: ShardStore, meta: MetaClient, *, grace_ms: int, interval_ms: int) -> None:
        self.store = store
        self.meta = meta
        self.grace_ms = grace_ms
        self.interval_ms = interval_ms
        self.deleted_total = 0

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval_ms / 1000)
            try:
                deleted = await self.sweep()
            except (MetaError, EngineError) as exc:
                log.warning("orphan sweep interrupted: %s", exc)
                continue
            if deleted:
                log.info("orphan fragments deleted", extra=log_fields(fragments=deleted))

    async def sweep(self) -> int:
        """One pass over the disk; returns the number of fragments deleted."""
        candidates: dict[bytes, list[bytes]] = {}
        deleted = 0
        start_after = b""
        while True:
            page = await self.store.scan(b"", start_after, SCAN_PAGE_SHARDS)
            for info in page:
                object_id = info.key[:OBJECT_ID_BYTES]
                if quarantine.is_shard_key(info.key) and object_id_age_ms(object_id) > self.grace_ms:
                    candidates.setdefault(object_id, []).append(info.key)
            if len(candidates) >= QUERY_BATCH_IDS:
                deleted += await self._settle(candidates)
                candidates = {}
            if len(page) < SCAN_PAGE_SHARDS:
                break
            start_after = page[-1].key
        if candidates:
            deleted += await self._settle(candidates)
        self.deleted_total += deleted
        return deleted

    async def _settle(self, candidates: dict[bytes, list[bytes]]) -> int:
        reply = await self.meta.find_unreferenced(list(candidates))
        deleted = 0
        for object_id in reply.object_ids:
            for key in candidates.get(object_id, []):
                try:
                    await self.store.delete(key)
                    deleted += 1
                except NotFoundError:
                    continue
        return deleted
