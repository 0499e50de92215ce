"""Optimistic transactions over etcd: read a snapshot, decide, commit with compare-and-swap.

``await run(client, fn)`` calls ``fn(view)``; ``fn`` reads through the :class:`View` (every read
of one attempt sees the snapshot at the revision of its first read) and records its writes on
it. The writes are then committed as one etcd ``Txn`` whose compares check that nothing ``fn``
read has changed since:

* a key read with ``get`` still has the mod revision it had (0: still absent);
* every key of a range read with ``range`` has a mod revision not above the snapshot
  (nothing in it was created or changed; a key *deleted* from the range is not detected, so
  ``fn`` may only draw conclusions from a range that deletes cannot break — emptiness, or keys
  whose deletion goes together with a key read by ``get``).

If a compare fails, ``fn`` runs again on a fresh snapshot (at most :data:`ATTEMPTS_MAX` times):
the result is serializable, as if every transaction ran alone. Domain errors raised by ``fn``
(NotFound, PreconditionFailed, ...) end the transaction without writing anything.

Unknown outcome: when the commit fails in a way that does not tell whether etcd applied it
(member killed, leader change), the first key the transaction puts is read back; if it holds
exactly the bytes this transaction wrote (our values carry fresh ids and times), the commit
happened and ``fn``'s result stands. Otherwise :class:`EtcdUnknownOutcome` reaches the caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from objectio.meta.errors import Overloaded
from objectio.meta.etcd_client import EtcdClient, EtcdCompacted, EtcdUnknownOutcome
from objectio.protos import etcd_pb2 as epb

T = TypeVar("T")
ATTEMPTS_MAX = 64  # conflicting attempts before the caller is told to back off
CONFLICT_BACKOFF_S = 0.002
TXN_READS_MAX = 100  # point reads per read-only Txn: under etcd's default --max-txn-ops (128)


@dataclass
class TxnStats:
    commits: int = 0
    conflicts: int = 0
    unknown_outcomes_resolved: int = 0


@dataclass
class View:
    client: EtcdClient
    revision: int = 0  # the snapshot; 0 until the first read
    _gets: dict[bytes, int] = field(default_factory=dict)  # key -> mod revision seen (0: absent)
    _ranges: list[tuple[bytes, bytes]] = field(default_factory=list)
    _writes: dict[bytes, bytes | None] = field(default_factory=dict)  # None: delete
    _range_deletes: list[tuple[bytes, bytes]] = field(default_factory=list)

    def _pin(self, reply_revision: int) -> None:
        if not self.revision:
            self.revision = reply_revision

    async def get(self, key: bytes) -> bytes | None:
        if key in self._writes:
            return self._writes[key]
        reply = await self.client.range(key, revision=self.revision)
        self._pin(reply.header.revision)
        kv = reply.kvs[0] if reply.kvs else None
        self._gets.setdefault(key, kv.mod_revision if kv else 0)
        return kv.value if kv else None

    async def range(
        self, key: bytes, range_end: bytes, *, limit: int = 0, keys_only: bool = False, track: bool = True
    ) -> list[epb.KeyValue]:
        """Keys in ``[key, range_end)`` at the snapshot, with this transaction's own puts and
        deletes merged in when there is no ``limit``. ``track=False``: a read whose changes must
        not abort the transaction."""
        reply = await self.client.range(key, range_end, limit=limit, revision=self.revision, keys_only=keys_only)
        self._pin(reply.header.revision)
        if track:
            self._ranges.append((key, range_end))
        kvs = list(reply.kvs)
        own = {k: v for k, v in self._writes.items() if key <= k < range_end}
        if limit or not own:
            return kvs
        merged = {kv.key: kv for kv in kvs}
        for k, v in own.items():
            if v is None:
                merged.pop(k, None)
            else:
                merged[k] = epb.KeyValue(key=k, value=v)
        return [merged[k] for k in sorted(merged)]

    async def get_many(self, keys: list[bytes]) -> dict[bytes, epb.KeyValue]:
        """Point reads of many keys at the snapshot, :data:`TXN_READS_MAX` per etcd call (a
        read-only Txn). Untracked: for look-ups that decide nothing this transaction writes."""
        found: dict[bytes, epb.KeyValue] = {}
        for start in range(0, len(keys), TXN_READS_MAX):
            if not self.revision:
                await self.range(keys[0], b"", track=False)  # pins the snapshot
            request = epb.TxnRequest()
            for key in keys[start : start + TXN_READS_MAX]:
                request.success.add(request_range=epb.RangeRequest(key=key, revision=self.revision))
            reply = await self.client.txn(request, read_only=True)
            for op in reply.responses:
                for kv in op.response_range.kvs:
                    found[kv.key] = kv
        return found

    def own_writes(self, key: bytes, range_end: bytes) -> dict[bytes, bytes | None]:
        """This transaction's pending puts (value) and deletes (None) in ``[key, range_end)``."""
        return {k: v for k, v in self._writes.items() if key <= k < range_end}

    @property
    def ops(self) -> int:
        """The larger of this transaction's compare and write counts (etcd limits each to
        ``--max-txn-ops``)."""
        return max(len(self._gets) + len(self._ranges), len(self._writes) + len(self._range_deletes))

    def put(self, key: bytes, value: bytes) -> None:
        self._writes[key] = value

    def delete(self, key: bytes) -> None:
        self._writes[key] = None

    def delete_range(self, key: bytes, range_end: bytes) -> None:
        self._range_deletes.append((key, range_end))

    @property
    def writes(self) -> bool:
        return bool(self._writes or self._range_deletes)

    def request(self) -> epb.TxnRequest:
        request = epb.TxnRequest()
        for key, mod in self._gets.items():
            request.compare.add(key=key, target=epb.Compare.MOD, result=epb.Compare.EQUAL, mod_revision=mod)
        for key, end in self._ranges:
            request.compare.add(
                key=key, range_end=end, target=epb.Compare.MOD, result=epb.Compare.LESS, mod_revision=self.revision + 1
            )
        for key, end in self._range_deletes:  # ranges first: a put below may recreate a key in them
            request.success.add(request_delete_range=epb.DeleteRangeRequest(key=key, range_end=end))
        for key, value in self._writes.items():
            if value is None:
                request.success.add(request_delete_range=epb.DeleteRangeRequest(key=key))
            else:
                request.success.add(request_put=epb.PutRequest(key=key, value=value))
        return request

    def first_put(self) -> tuple[bytes, bytes] | None:
        return next(((k, v) for k, v in self._writes.items() if v is not None), None)


async def run(client: EtcdClient, fn: Callable[[View], Awaitable[T]], stats: TxnStats | None = None) -> T:
    for attempt in range(ATTEMPTS_MAX):
        view = View(client)
        try:
            result = await fn(view)
        except EtcdCompacted:
            continue  # the snapshot was compacted away mid-transaction: start over
        if not view.writes:
            return result
        try:
            reply = await client.txn(view.request())
        except EtcdUnknownOutcome:
            if await _applied(client, view):
                if stats is not None:
                    stats.unknown_outcomes_resolved += 1
                return result
            raise
        if reply.succeeded:
            if stats is not None:
                stats.commits += 1
            return result
        if stats is not None:
            stats.conflicts += 1
        await asyncio.sleep(CONFLICT_BACKOFF_S * min(attempt, 10))
    raise Overloaded(f"metadata transaction kept conflicting ({ATTEMPTS_MAX} attempts): too much contention")


async def _applied(client: EtcdClient, view: View) -> bool:
    """Whether the transaction of ``view`` was applied, judged by its first put (see module doc)."""
    first = view.first_put()
    if first is None:
        return False
    key, value = first
    reply = await client.range(key)
    return bool(reply.kvs) and reply.kvs[0].mod_revision > view.revision and reply.kvs[0].value == value
