"""The repair manager: a background task of the metadata service that keeps every stripe at k+m
live fragments.

Why inside ``objectio-meta``: it already owns the two inputs — the object records (which
fragment is where, which are missing) and the cluster map (which OSDs are up, down, out) — and
the only output, a compare-and-set of a record. A separate daemon would need both through RPCs
and could still only act through meta. The price is that meta's process now also moves
fragment bytes; that is bounded by ``repair_stripes_inflight_max`` and ``repair_bytes_per_s``,
and pyeclib runs in threads, off the event loop that serves metadata calls.

What needs repair (recomputed at every scan, nothing persisted beyond the records themselves):

* a fragment with OSD id 0 (a degraded write, a fragment scrub found corrupt);
* a fragment on a *lost* OSD: marked down for longer than ``repair_grace_ms`` (an OSD that comes
  back sooner is not worth moving data for) or marked out (drain);
* a stripe a gateway had to decode (``ReportDegradedStripe``): its suspect fragments are
  checked with the OSDs that hold them, and rebuilt if they are missing or corrupt.

Every stored set of stripes is covered, each named by the object id of its fragments: plain
objects, the parts of completed multipart objects and the parts of uploads in progress
(``MetaStore.placed_view`` finds the owner of an id). The same scans run the *rebalance passes*
(:mod:`objectio.meta.rebalance`) after an OSD is added or marked in, and once at start-up.

Scans page through the records in key order and queue the stripes (bounded queue, one entry per
stripe); ``repair_stripes_inflight_max`` workers rebuild them (:mod:`repair_stripe`). A stripe
that fails is counted and found again by the next scan. Stale copies (a returning OSD still
holding fragments that were rebuilt elsewhere) are the OSD's to remove: it asks
``CheckPlacements``; a fragment the manager wrote to that OSD in the last
``RECENT_ACTIVITY_S`` seconds is never reported stale (its record may be mid-update).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

from objectio.common.logs import log_fields
from objectio.common.placement import Candidate
from objectio.common.pools import PoolError, PoolSpec
from objectio.common.ratelimit import TokenBucket
from objectio.meta.cluster import ClusterState
from objectio.meta.config import MetaConfig
from objectio.meta.errors import MetaStoreError
from objectio.meta.osd_links import OsdLinks
from objectio.meta.rebalance import osd_hosts, plan_moves, rebalance_stripe
from objectio.meta.repair_planner import candidates, desired_placement
from objectio.meta.repair_stripe import Outcome, RepairCounters, RepairError, StripeJob, address, repair_stripe
from objectio.meta.sqlite_repair import part_view
from objectio.meta.store import MetaStore
from objectio.meta.versions import version_order
from objectio.protos import meta_pb2 as pb
from objectio.protos import osd_pb2

log = logging.getLogger("objectio.meta.repair")

SCAN_PAGE_RECORDS = 500
TICK_S_MAX = 1.0  # how often the lost-OSD set is re-evaluated at most
CORRUPT_REPORTS_REMEMBERED_MAX = 100_000  # stripes whose corrupt-copy OSDs repair avoids
RECENT_ACTIVITY_S = 300.0  # > any stale-copy check's read: a freshly rebuilt fragment is kept that long
DEFERRED_DELETES_MAX = 100_000  # old copies of moved fragments awaiting deletion; beyond, deleted at once


class RepairManager:
    def __init__(self, config: MetaConfig, store: MetaStore, state: ClusterState, links: OsdLinks) -> None:
        self.config = config
        self.store = store
        self.state = state
        self.links = links
        self.counters = RepairCounters()
        self.queue: asyncio.Queue[StripeJob] = asyncio.Queue(config.repair_queue_stripes_max)
        self.queued: set[tuple[bytes, int]] = set()
        self._bucket = TokenBucket(config.repair_bytes_per_s)
        self._down_since: dict[int, float] = {}
        self._recent: dict[tuple[bytes, int, int, int], float] = {}  # fragments repair wrote, by target OSD
        self._pools: dict[str, PoolSpec] = {}
        self._corrupt_on: dict[tuple[bytes, int], set[int]] = {}  # stripe -> OSDs that reported a corrupt copy
        self._scan_requested = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._last_scan_lost: set[int] | None = None
        self._last_scan_at = 0.0
        self._last_count_at = 0.0  # when _scan_due last counted the degraded stripes
        self._last_full_scan_at = time.monotonic()
        self._rebalance_wanted = config.rebalance_enabled  # one pass at start-up finishes an interrupted one
        self._known_in: set[int] | None = None
        self.rebalance_queued: set[tuple[bytes, int]] = set()
        self._deletions: list[tuple[float, int, list[osd_pb2.ShardAddress]]] = []  # (due, osd, old copies)

    # ---- what the stripe repairs see (RepairContext) --------------------------------------------

    def cluster_map(self) -> pb.ClusterMap:
        return self.state.map

    def up_osds(self) -> set[int]:
        return {osd.id for osd in self.state.map.osds if osd.up == pb.OSD_UP}

    def lost_osds(self) -> set[int]:
        """Down longer than the repair grace, or out."""
        grace_s = self.config.repair_grace_ms / 1000
        now = time.monotonic()
        lost = set()
        for osd in self.state.map.osds:
            if osd.up == pb.OSD_UP:
                self._down_since.pop(osd.id, None)
            elif now - self._down_since.setdefault(osd.id, now) >= grace_s:
                lost.add(osd.id)
            if getattr(osd, "in") == pb.OSD_OUT:
                lost.add(osd.id)
        return lost

    def rebuild_set(self) -> Callable[[int], bool]:
        """A test of "a fragment on this OSD id must be rebuilt": none (0), lost, or unknown to
        the map. Computed once per scan or stripe, not per fragment."""
        lost = self.lost_osds()
        known = {osd.id for osd in self.state.map.osds}
        return lambda osd_id: osd_id == 0 or osd_id in lost or osd_id not in known

    def pool(self, name: str) -> PoolSpec:
        spec = self._pools.get(name)
        if spec is None:
            found = next((p for p in self.state.map.pools if p.name == name), None)
            if found is None:
                raise RepairError(f"pool {name!r} is not in the cluster map")
            try:
                spec = self._pools[name] = PoolSpec.from_proto(found)
            except PoolError as exc:
                raise RepairError(str(exc)) from exc
        return spec

    async def throttle(self, nbytes: int) -> None:
        await self._bucket.acquire(nbytes)

    def avoid_for(self, object_id: bytes, stripe_index: int) -> set[int]:
        """OSDs that reported a corrupt copy of a fragment of this stripe: never a repair target
        (their quarantined record would be overwritten and scrub would report the key again)."""
        return self._corrupt_on.get((object_id, stripe_index), set())

    def note_written(self, object_id: bytes, stripe_index: int, targets: dict[int, int]) -> None:
        now = time.monotonic()
        for fragment_index, osd_id in targets.items():
            self._recent[(object_id, stripe_index, fragment_index, osd_id)] = now

    def needs_repair(self, osd_ids: list[int]) -> bool:
        gone = self.rebuild_set()
        return any(gone(osd_id) for osd_id in osd_ids)

    def delete_later(self, sources: dict[int, int], object_id: bytes, stripe_index: int) -> None:
        """Old copies of moved fragments: deleted after ``rebalance_delete_delay_ms`` (a reader
        holding the previous record still finds them meanwhile). Lost on a restart: the OSDs'
        stale-copy sweeps find them then."""
        due = time.monotonic() + self.config.rebalance_delete_delay_ms / 1000
        if len(self._deletions) >= DEFERRED_DELETES_MAX:
            due = 0.0
        by_osd: dict[int, list[osd_pb2.ShardAddress]] = {}
        for i, osd_id in sources.items():
            by_osd.setdefault(osd_id, []).append(address(object_id, stripe_index, i))
        self._deletions.extend((due, osd_id, addrs) for osd_id, addrs in by_osd.items())

    async def _delete_due(self) -> None:
        now = time.monotonic()
        due = [d for d in self._deletions if d[0] <= now]
        if not due:
            return
        self._deletions = [d for d in self._deletions if d[0] > now]
        await asyncio.gather(*(self.links.delete(osd_id, addrs) for _, osd_id, addrs in due))

    # ---- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._scan_forever(), name="repair-scan"))
        for n in range(self.config.repair_stripes_inflight_max):
            self._tasks.append(asyncio.create_task(self._work_forever(), name=f"repair-worker-{n}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.links.close()

    # ---- scanning -------------------------------------------------------------------------------

    async def _scan_forever(self) -> None:
        tick_s = min(TICK_S_MAX, self.config.repair_grace_ms / 4000)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._scan_requested.wait(), tick_s)
            try:
                await self._delete_due()
                if await self._scan_due():
                    await self.scan_once()
            except MetaStoreError as exc:
                log.warning("repair scan interrupted: %s", exc)
            self._prune_recent()

    def _note_in_set(self) -> None:
        """An OSD added or marked in (a new member of the "in" set) asks for a rebalance pass."""
        now_in = {osd.id for osd in self.state.map.osds if getattr(osd, "in") == pb.OSD_IN}
        if self._known_in is not None and now_in - self._known_in and self.config.rebalance_enabled:
            log.info("rebalance wanted", extra=log_fields(new_osds=sorted(now_in - self._known_in)))
            self._rebalance_wanted = True
        self._known_in = now_in

    async def _scan_due(self) -> bool:
        self._note_in_set()
        lost = self.lost_osds()
        if self._scan_requested.is_set() or lost != self._last_scan_lost:
            return True
        now = time.monotonic()
        interval_s = self.config.repair_scan_interval_ms / 1000
        if now - self._last_scan_at < interval_s:
            return False
        if self._rebalance_wanted and not self.rebalance_queued:
            return True
        if now - self._last_full_scan_at >= self.config.repair_full_scan_interval_ms / 1000:
            return True
        if lost:
            return True
        if now - self._last_count_at < interval_s:
            return False
        # counts() scans the object table: at most once per interval, not on every tick.
        self._last_count_at = now
        return (await self.store.counts()).degraded_stripes > 0

    async def scan_once(self) -> int:
        """Queue every stripe that needs repair now (and, during a rebalance pass, every stripe
        with a fragment to move); returns how many were queued."""
        self._scan_requested.clear()
        lost = self.lost_osds()
        gone = self.rebuild_set()
        rebalancing = self._rebalance_wanted
        self._last_scan_lost, self._last_scan_at = lost, time.monotonic()
        self._last_full_scan_at = self._last_scan_at
        cmap = self.state.map
        usable, hosts, up = candidates(cmap), osd_hosts(cmap), self.up_osds()
        queued = misplaced = 0
        async for view in self._placed_views():
            desired: list[int] | None = None
            for index, stripe in enumerate(view.stripes):
                if any(gone(osd_id) for osd_id in stripe.osd_ids):
                    job = StripeJob(view.bucket, view.key, view.object_id, index)
                    queued += await self._enqueue(job, wait=True)
                    continue
                if not rebalancing:
                    continue
                if desired is None:
                    desired = self._desired(view, usable)
                if plan_moves(list(stripe.osd_ids), desired, hosts, up):
                    misplaced += 1
                    job = StripeJob(view.bucket, view.key, view.object_id, index, rebalance=True)
                    queued += await self._enqueue(job, wait=True)
        self.counters.scans_completed += 1
        self.counters.last_scan_ms = int(time.time() * 1000)
        if rebalancing:
            self.counters.rebalance_stripes_misplaced = misplaced
            self._rebalance_wanted = misplaced > 0
            log.info("rebalance pass", extra=log_fields(stripes_misplaced=misplaced))
        if queued:
            log.info("repair scan queued stripes", extra=log_fields(stripes=queued, lost_osds=sorted(lost)))
        return queued

    def _desired(self, view: pb.ObjectRecord, usable: list[Candidate]) -> list[int]:
        try:
            return desired_placement(view.object_id, self.pool(view.pool), usable)
        except RepairError:
            return []

    async def _placed_views(self) -> AsyncIterator[pb.ObjectRecord]:
        """Every stored set of stripes, as a record whose ``object_id`` names its fragments:
        plain objects, the parts of completed multipart objects, the parts of uploads in progress."""
        after: tuple[str, bytes, str] | None = None
        while True:
            page = await self.store.scan_placed_objects(after, SCAN_PAGE_RECORDS)
            for record in page:
                if record.stripes:
                    yield record
                for part in record.parts:
                    if part.stripes:
                        yield part_view(record, part)
            if len(page) < SCAN_PAGE_RECORDS:
                break
            after = (page[-1].bucket, page[-1].key.encode(), version_order(page[-1].mtime_ns))
        cursor: bytes | None = None
        while True:
            parts, cursor = await self.store.scan_upload_parts(cursor, SCAN_PAGE_RECORDS)
            for view in parts:
                yield view
            if cursor is None:
                break

    async def _enqueue(self, job: StripeJob, *, wait: bool) -> bool:
        ident = (job.object_id, job.stripe_index)
        if ident in self.queued:
            return False
        if not wait and self.queue.full():
            return False
        self.queued.add(ident)
        if job.rebalance:
            self.rebalance_queued.add(ident)
        await self.queue.put(job)
        return True

    def _prune_recent(self) -> None:
        horizon = time.monotonic() - RECENT_ACTIVITY_S
        for written in [w for w, t in self._recent.items() if t < horizon]:
            del self._recent[written]

    # ---- workers --------------------------------------------------------------------------------

    async def _work_forever(self) -> None:
        while True:
            job = await self.queue.get()
            what = "rebalance" if job.rebalance else "repair"
            try:
                outcome = await (rebalance_stripe(self, job) if job.rebalance else repair_stripe(self, job))
            except (RepairError, MetaStoreError) as exc:
                outcome = Outcome.FAILED
                log.warning(
                    "stripe %s failed: %s",
                    what,
                    exc,
                    extra=log_fields(bucket=job.bucket, key=job.key, stripe=job.stripe_index),
                )
            except Exception:
                outcome = Outcome.FAILED
                log.exception("stripe %s failed unexpectedly", what)
            finally:
                self.queued.discard((job.object_id, job.stripe_index))
                self.rebalance_queued.discard((job.object_id, job.stripe_index))
            self._count(outcome, job)

    def _count(self, outcome: Outcome, job: StripeJob) -> None:
        if job.rebalance:
            if outcome is Outcome.FAILED:
                self.counters.rebalance_stripes_failed += 1
                self._rebalance_wanted = True  # the next pass tries again
            return
        if outcome is Outcome.DONE:
            self.counters.stripes_done += 1
        elif outcome is Outcome.FAILED:
            self.counters.stripes_failed += 1
        elif outcome is Outcome.DROPPED:
            self.counters.stripes_dropped += 1

    # ---- reports and questions from gateways and OSDs -------------------------------------------

    async def report_degraded(self, request: pb.ReportDegradedStripeRequest) -> None:
        """A reader decoded this stripe: check its suspect fragments soon (dropped if the queue is full)."""
        self.counters.reports_received += 1
        job = StripeJob(
            request.bucket, request.key, request.object_id, request.stripe_index, tuple(request.failed_fragments)
        )
        await self._enqueue(job, wait=False)

    async def report_corrupt(self, osd_id: int, shards: list[pb.ShardRef]) -> int:
        """Scrub found these fragments corrupt on ``osd_id``: mark them missing and rescan."""
        self.counters.reports_received += 1
        if len(self._corrupt_on) > CORRUPT_REPORTS_REMEMBERED_MAX:
            self._corrupt_on.clear()  # a hint only: the OSDs' quarantine entries are the truth
        for shard in shards:
            self._corrupt_on.setdefault((shard.object_id, shard.stripe_index), set()).add(osd_id)
        marked = await self.store.mark_missing(osd_id, shards)
        if marked:
            self._scan_requested.set()
        return marked

    async def stale_copies(self, osd_id: int, shards: list[pb.ShardRef]) -> list[pb.ShardRef]:
        stale = await self.store.stale_placements(osd_id, shards)
        horizon = time.monotonic() - RECENT_ACTIVITY_S
        busy = {(s.object_id, s.stripe_index) for s in stale if (s.object_id, s.stripe_index) in self.queued}
        return [
            s
            for s in stale
            if self._recent.get((s.object_id, s.stripe_index, s.fragment_index, osd_id), horizon) <= horizon
            and (s.object_id, s.stripe_index) not in busy
        ]

    @property
    def rebalancing(self) -> bool:
        return self._rebalance_wanted or bool(self.rebalance_queued)

    async def status(self) -> pb.RepairStatus:
        c = self.counters
        counts = await self.store.counts()
        return pb.RepairStatus(
            stripes_pending=len(self.queued) - len(self.rebalance_queued),
            stripes_done=c.stripes_done,
            stripes_failed=c.stripes_failed,
            stripes_dropped=c.stripes_dropped,
            fragments_rebuilt=c.fragments_rebuilt,
            bytes_read=c.bytes_read,
            bytes_written=c.bytes_written,
            degraded_stripes=counts.degraded_stripes,
            lost_osd_ids=sorted(self.lost_osds()),
            scans_completed=c.scans_completed,
            last_scan_ms=c.last_scan_ms,
            bytes_per_second_max=self.config.repair_bytes_per_s,
            reports_received=c.reports_received,
            rebalance_active=self.rebalancing,
            rebalance_stripes_pending=len(self.rebalance_queued),
            rebalance_stripes_misplaced=c.rebalance_stripes_misplaced,
            rebalance_fragments_moved=c.rebalance_fragments_moved,
            rebalance_bytes_moved=c.rebalance_bytes_moved,
            rebalance_stripes_failed=c.rebalance_stripes_failed,
        )
