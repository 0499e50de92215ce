"""Scrub: a background, rate-limited pass that verifies every fragment on this OSD's disk.

Each pass scans the engine's keys in order and calls ``Engine.verify`` on every fragment (the
engine re-reads the record from the device and checks every checksum), spending at most
``scrub_bytes_per_s`` of disk bandwidth. A fragment that fails is quarantined (``quarantine.py``:
left in place, never served, with an entry naming it) and reported to meta
(``ReportCorruptShards``), which records it as missing so the repair manager rebuilds it on
another OSD. Quarantined fragments still on disk are re-reported at every pass (meta's marking
is idempotent and only applies while the record still places the fragment on this OSD), so a
report lost to a meta restart is delivered by the next pass.

A pass starts ``scrub_interval_ms`` after the previous one ended, or at once on ``StartScrub``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from objectio.common.logs import log_fields
from objectio.common.ratelimit import TokenBucket
from objectio.common.shardkey import parse_shard_key
from objectio.meta.client import MetaClient, MetaError
from objectio.native.engine import CorruptionError, EngineError, NotFoundError
from objectio.osd import quarantine
from objectio.osd.store import ShardInfo, ShardStore
from objectio.protos import meta_pb2, osd_pb2

log = logging.getLogger("objectio.osd.scrub")

SCAN_PAGE_SHARDS = 1000
REPORT_BATCH_SHARDS = 1000


@dataclass
class ScrubCounters:
    passes_completed: int = 0
    shards_verified: int = 0
    shards_corrupt: int = 0
    bytes_verified: int = 0
    pass_started_ms: int = 0
    pass_finished_ms: int = 0


def _ref(key: bytes) -> meta_pb2.ShardRef:
    address = parse_shard_key(key)
    return meta_pb2.ShardRef(
        object_id=address.object_id, stripe_index=address.stripe_index, fragment_index=address.fragment_index
    )


class Scrubber:
    def __init__(self, store: ShardStore, meta: MetaClient, osd_id: int, *, bytes_per_s: int, interval_ms: int) -> None:
        self.store = store
        self.meta = meta
        self.osd_id = osd_id
        self.interval_ms = interval_ms
        self.counters = ScrubCounters()
        self.running = False
        self._bucket = TokenBucket(bytes_per_s)
        self._requested = asyncio.Event()

    def request_pass(self) -> None:
        """Start a pass now (or right after the running one)."""
        self._requested.set()

    async def run_forever(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._requested.wait(), self.interval_ms / 1000)
            self._requested.clear()
            try:
                await self.scrub_pass()
            except EngineError as exc:
                log.error("scrub pass stopped: %s", exc)
            finally:
                self.running = False

    async def scrub_pass(self) -> int:
        """Verify every fragment once; returns the number newly found corrupt."""
        self.running = True
        c = self.counters
        c.pass_started_ms = int(time.time() * 1000)
        corrupt: list[bytes] = []
        corrupt_before = c.shards_corrupt
        start_after = b""
        while True:
            page = await self.store.scan(b"", start_after, SCAN_PAGE_SHARDS)
            for info in page:
                if quarantine.is_shard_key(info.key):
                    corrupt.extend(await self._verify(info))
            if len(page) < SCAN_PAGE_SHARDS:
                break
            start_after = page[-1].key
        await self._report(sorted(set(corrupt)))
        c.passes_completed += 1
        c.pass_finished_ms = int(time.time() * 1000)
        self.running = False
        found = c.shards_corrupt - corrupt_before
        log.info("scrub pass done", extra=log_fields(verified=c.shards_verified, corrupt_found=found))
        return found

    async def _verify(self, info: ShardInfo) -> list[bytes]:
        """[key] if the fragment is corrupt (newly or already quarantined: both are reported)."""
        if await quarantine.is_quarantined(self.store, info.key, info.generation):
            return [info.key]  # re-reported: a report lost to a meta restart arrives now
        await self._bucket.acquire(info.length)
        try:
            await self.store.verify(info.key)
        except NotFoundError:
            return []  # deleted since the scan
        except CorruptionError as exc:
            self.counters.shards_corrupt += 1
            await quarantine.quarantine(self.store, info.key, f"scrub: {exc}")
            log.warning("corrupt fragment quarantined", extra=log_fields(key=info.key.hex()))
            return [info.key]
        self.counters.shards_verified += 1
        self.counters.bytes_verified += info.length
        return []

    async def _report(self, keys: list[bytes]) -> None:
        for start in range(0, len(keys), REPORT_BATCH_SHARDS):
            refs = [_ref(key) for key in keys[start : start + REPORT_BATCH_SHARDS]]
            try:
                reply = await self.meta.report_corrupt_shards(self.osd_id, refs)
            except MetaError as exc:
                log.warning("corrupt fragments not reported (next pass retries): %s", exc)
                return
            if reply.marked_missing:
                log.warning("meta marked corrupt fragments missing", extra=log_fields(count=reply.marked_missing))

    async def status(self) -> osd_pb2.ScrubStatus:
        c = self.counters
        return osd_pb2.ScrubStatus(
            osd_id=self.osd_id,
            running=self.running,
            passes_completed=c.passes_completed,
            shards_verified=c.shards_verified,
            shards_corrupt=c.shards_corrupt,
            bytes_verified=c.bytes_verified,
            quarantined=await quarantine.count(self.store),
            pass_started_ms=c.pass_started_ms,
            pass_finished_ms=c.pass_finished_ms,
        )
