"""The live cluster map: the last committed map, its watchers, and OSD liveness.

:class:`ClusterState` holds the newest :class:`ClusterMap` the store returned (maps only move
forward: an older epoch never replaces a newer one), wakes every ``WatchClusterMap`` stream when
the epoch advances, and remembers when each OSD was last heard from (monotonic clock, in memory:
after a restart of the metadata service every OSD gets a full grace period again).
:func:`run_down_detector` marks OSDs silent for longer than the grace as down.
"""

from __future__ import annotations

import asyncio
import logging
import time

from objectio.common.logs import log_fields
from objectio.meta.errors import MetaStoreError
from objectio.meta.store import MetaStore
from objectio.protos import meta_pb2 as pb

log = logging.getLogger("objectio.meta.cluster")
DOWN_CHECK_INTERVAL_MS_MAX = 1_000


class ClusterState:
    def __init__(self, initial: pb.ClusterMap) -> None:
        self._map = initial
        self._advanced = asyncio.Event()
        now = time.monotonic()
        self._last_seen: dict[int, float] = {osd.id: now for osd in initial.osds}
        self._closed = False

    @property
    def map(self) -> pb.ClusterMap:
        return self._map

    def publish(self, cmap: pb.ClusterMap) -> None:
        """Adopt ``cmap`` if it is newer and wake the watchers."""
        if cmap.epoch <= self._map.epoch:
            return
        self._map = cmap
        known = {osd.id for osd in cmap.osds}
        for osd_id in list(self._last_seen):
            if osd_id not in known:
                del self._last_seen[osd_id]
        self._advanced.set()
        self._advanced = asyncio.Event()

    def heard_from(self, osd: pb.Osd) -> None:
        """An OSD registered or heartbeat: note the time and refresh its usage in the map."""
        self._last_seen[osd.id] = time.monotonic()
        for entry in self._map.osds:
            if entry.id == osd.id:
                entry.capacity_bytes = osd.capacity_bytes
                entry.used_bytes = osd.used_bytes
                entry.last_heartbeat_ms = osd.last_heartbeat_ms

    def silent_osds(self, grace_s: float) -> list[int]:
        """Up OSDs not heard from for longer than ``grace_s``."""
        now = time.monotonic()
        return [
            osd.id
            for osd in self._map.osds
            if osd.up == pb.OSD_UP and now - self._last_seen.setdefault(osd.id, now) > grace_s
        ]

    async def newer_than(self, known_epoch: int) -> pb.ClusterMap | None:
        """The current map as soon as its epoch exceeds ``known_epoch``; None once closed."""
        while self._map.epoch <= known_epoch and not self._closed:
            await self._advanced.wait()
        return None if self._closed else self._map

    def close(self) -> None:
        """Shutting down: end every watch stream now instead of at the end of the grace."""
        self._closed = True
        self._advanced.set()


async def run_down_detector(state: ClusterState, store: MetaStore, grace_ms: int) -> None:
    """Forever: mark OSDs silent past the grace as down (each change bumps the epoch)."""
    interval_s = min(grace_ms / 4, DOWN_CHECK_INTERVAL_MS_MAX) / 1000
    while True:
        await asyncio.sleep(interval_s)
        silent = state.silent_osds(grace_ms / 1000)
        if not silent:
            continue
        try:
            heard_before_ms = int(time.time() * 1000) - grace_ms
            cmap = await store.mark_osds_down(silent, heard_before_ms)
        except MetaStoreError as exc:
            log.error("could not mark silent OSDs down: %s", exc, extra=log_fields(osd_ids=silent))
            continue
        if cmap is not None:
            log.warning(
                "OSDs marked down after %d ms of silence",
                grace_ms,
                extra=log_fields(osd_ids=silent, epoch=cmap.epoch),
            )
            state.publish(cmap)
