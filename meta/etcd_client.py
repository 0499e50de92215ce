"""EtcdClient: a small asyncio client of etcd's v3 gRPC API (KV, Watch, Lease), with failover.

Why our own: the ``etcd3`` package on PyPI is unmaintained and pins an old protobuf; etcd's
JSON gateway would add a base64/JSON layer to every call. ``protos/etcd.proto`` declares the
subset of etcd's API we call, compiled with our pinned grpcio-tools, used through grpc.aio.

Endpoints: one channel per member (``host:port``). Calls go to the current member; on a
transport failure the client moves to the next member.

* Reads (``range``) are retried on the other members until ``call_timeout_s`` is spent.
* Writes (``txn``, ``put``, ``delete``) are retried elsewhere only when the request surely never
  reached a member (the channel could not connect). Any other failure of a write is
  :class:`EtcdUnknownOutcome`: it may or may not have been applied; the caller decides
  (:mod:`objectio.meta.etcd_txn` re-reads to find out).

Errors are :class:`EtcdUnavailable` (a subclass of the store's ``Unavailable``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import grpc
from grpc import aio

from objectio.common.grpcutil import close_channel
from objectio.meta.errors import Unavailable
from objectio.protos import etcd_pb2 as epb
from objectio.protos import etcd_pb2_grpc as egrpc

log = logging.getLogger("objectio.meta.etcd")
MESSAGE_BYTES_MAX = 16 << 20  # above etcd's --max-request-bytes we ask operators to set (8 MiB)
RETRY_BACKOFF_S_MIN = 0.05
RETRY_BACKOFF_S_MAX = 1.0
NOT_SENT_MARKERS = ("failed to connect", "connection refused", "name resolution", "dns resolution")
RETRYABLE_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


class EtcdUnavailable(Unavailable):
    """No etcd member answered in time (or etcd refused: no leader, quota exceeded, ...)."""


class EtcdUnknownOutcome(EtcdUnavailable):
    """A write failed in a way that does not tell whether etcd applied it."""


class EtcdCompacted(EtcdUnavailable):
    """A snapshot read or a watch asked for a revision etcd has compacted away."""


def prefix_end(prefix: bytes) -> bytes:
    """etcd's range_end for "every key starting with ``prefix``"."""
    buf = bytearray(prefix)
    while buf:
        if buf[-1] < 0xFF:
            buf[-1] += 1
            return bytes(buf)
        buf.pop()
    return b"\0"  # every key


class _Member:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        options = [
            ("grpc.max_send_message_length", MESSAGE_BYTES_MAX),
            ("grpc.max_receive_message_length", MESSAGE_BYTES_MAX),
            ("grpc.keepalive_time_ms", 10_000),
            ("grpc.keepalive_timeout_ms", 5_000),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.enable_retries", 0),
            ("grpc.initial_reconnect_backoff_ms", 100),
            ("grpc.max_reconnect_backoff_ms", 1_000),
        ]
        self.channel = aio.insecure_channel(endpoint, options=options)
        self.kv = egrpc.KVStub(self.channel)
        self.watch = egrpc.WatchStub(self.channel)
        self.lease = egrpc.LeaseStub(self.channel)
        self.maintenance = egrpc.MaintenanceStub(self.channel)


def _not_sent(exc: aio.AioRpcError) -> bool:
    detail = (exc.details() or "").lower()
    return exc.code() == grpc.StatusCode.UNAVAILABLE and any(m in detail for m in NOT_SENT_MARKERS)


class EtcdClient:
    """``EtcdClient(["127.0.0.1:2379", ...])``; ``await client.close()`` at the end."""

    def __init__(self, endpoints: Sequence[str], *, call_timeout_s: float = 5.0) -> None:
        if not endpoints:
            raise ValueError("etcd needs at least one endpoint")
        self._members = [_Member(e) for e in endpoints]
        self._current = 0
        self._timeout_s = call_timeout_s
        self.failovers = 0  # how often the client moved to another member

    @property
    def endpoints(self) -> list[str]:
        return [m.endpoint for m in self._members]

    def _member(self) -> _Member:
        return self._members[self._current]

    def _failover(self, failed: _Member, exc: aio.AioRpcError) -> None:
        if self._member() is failed and len(self._members) > 1:
            self._current = (self._current + 1) % len(self._members)
            self.failovers += 1
            log.info(
                "etcd member %s failed (%s: %s); now using %s",
                failed.endpoint,
                exc.code().name,
                exc.details(),
                self._member().endpoint,
            )

    async def close(self) -> None:
        for member in self._members:
            await close_channel(member.channel)

    async def _unary(self, service: str, method: str, request: Any, *, write: bool) -> Any:
        deadline = time.monotonic() + self._timeout_s
        backoff_s = RETRY_BACKOFF_S_MIN
        while True:
            member = self._member()
            remaining = deadline - time.monotonic()
            try:
                return await getattr(getattr(member, service), method)(request, timeout=max(remaining, 0.01))
            except aio.AioRpcError as exc:
                detail = exc.details() or ""
                if "required revision has been compacted" in detail:
                    raise EtcdCompacted(f"etcd {method}: {detail}") from None
                if exc.code() not in RETRYABLE_CODES:
                    raise EtcdUnavailable(f"etcd {method} at {member.endpoint}: {exc.code().name}: {detail}") from None
                self._failover(member, exc)
                if write and not _not_sent(exc):
                    raise EtcdUnknownOutcome(
                        f"etcd {method} at {member.endpoint}: {exc.code().name}: {detail} (outcome unknown)"
                    ) from None
                if time.monotonic() + backoff_s >= deadline:
                    raise EtcdUnavailable(f"etcd {method}: no member answered within {self._timeout_s} s") from None
                await asyncio.sleep(backoff_s)
                backoff_s = min(backoff_s * 2, RETRY_BACKOFF_S_MAX)

    # ---- KV -------------------------------------------------------------------------------------

    async def range(
        self,
        key: bytes,
        range_end: bytes = b"",
        *,
        limit: int = 0,
        revision: int = 0,
        keys_only: bool = False,
        count_only: bool = False,
    ) -> epb.RangeResponse:
        request = epb.RangeRequest(
            key=key, range_end=range_end, limit=limit, revision=revision, keys_only=keys_only, count_only=count_only
        )
        reply: epb.RangeResponse = await self._unary("kv", "Range", request, write=False)
        return reply

    async def txn(self, request: epb.TxnRequest, *, read_only: bool = False) -> epb.TxnResponse:
        reply: epb.TxnResponse = await self._unary("kv", "Txn", request, write=not read_only)
        return reply

    async def put(self, key: bytes, value: bytes, *, lease: int = 0) -> epb.PutResponse:
        reply: epb.PutResponse = await self._unary(
            "kv", "Put", epb.PutRequest(key=key, value=value, lease=lease), write=True
        )
        return reply

    async def delete(self, key: bytes, range_end: bytes = b"") -> epb.DeleteRangeResponse:
        request = epb.DeleteRangeRequest(key=key, range_end=range_end)
        reply: epb.DeleteRangeResponse = await self._unary("kv", "DeleteRange", request, write=True)
        return reply

    async def status(self) -> epb.StatusResponse:
        reply: epb.StatusResponse = await self._unary("maintenance", "Status", epb.StatusRequest(), write=False)
        return reply

    # ---- leases ---------------------------------------------------------------------------------

    async def lease_grant(self, ttl_s: int) -> int:
        reply: epb.LeaseGrantResponse = await self._unary(
            "lease", "LeaseGrant", epb.LeaseGrantRequest(TTL=ttl_s), write=True
        )
        if reply.error:
            raise EtcdUnavailable(f"etcd refused a lease: {reply.error}")
        return reply.ID

    async def lease_revoke(self, lease_id: int) -> None:
        await self._unary("lease", "LeaseRevoke", epb.LeaseRevokeRequest(ID=lease_id), write=True)

    async def lease_keepalive(self, lease_id: int, ttl_s: int) -> None:
        """Keep the lease alive until it may be lost (returns) or the task is cancelled. A refresh
        every third of the TTL; a failed stream is reopened (on another member) while the lease
        can still be alive. Returns a quarter TTL before the last refresh could run out, so the
        holder stops acting before etcd can have given its key to someone else."""
        expires = time.monotonic() + ttl_s
        while time.monotonic() < expires - ttl_s / 4:
            member = self._member()
            call = member.lease.LeaseKeepAlive()
            try:
                while True:
                    await call.write(epb.LeaseKeepAliveRequest(ID=lease_id))
                    reply = await asyncio.wait_for(call.read(), timeout=max(ttl_s / 3, 0.5))
                    if not isinstance(reply, epb.LeaseKeepAliveResponse):  # EOF: the stream ended
                        break
                    if reply.TTL <= 0:
                        return  # etcd says the lease is gone
                    expires = time.monotonic() + reply.TTL
                    await asyncio.sleep(ttl_s / 3)
            except aio.AioRpcError as exc:
                self._failover(member, exc)
            except TimeoutError:
                pass
            finally:
                call.cancel()
            await asyncio.sleep(RETRY_BACKOFF_S_MIN)

    # ---- watch ----------------------------------------------------------------------------------

    async def watch(self, key: bytes, range_end: bytes, start_revision: int) -> AsyncIterator[epb.WatchResponse]:
        """Every change of ``[key, range_end)`` from ``start_revision`` on, as etcd's responses
        (one revision's events together). A broken stream is reopened on the next member from
        the revision after the last one seen; :class:`EtcdCompacted` when that is gone."""
        next_revision = start_revision
        backoff_s = RETRY_BACKOFF_S_MIN
        while True:
            member = self._member()
            create = epb.WatchCreateRequest(key=key, range_end=range_end, start_revision=next_revision)
            call = member.watch.Watch()
            try:
                await call.write(epb.WatchRequest(create_request=create))
                async for reply in call:
                    assert isinstance(reply, epb.WatchResponse)
                    if reply.compact_revision:
                        raise EtcdCompacted(
                            f"watch from revision {next_revision}: compacted at {reply.compact_revision}"
                        )
                    if reply.canceled:
                        raise EtcdUnavailable(f"etcd cancelled the watch: {reply.cancel_reason}")
                    backoff_s = RETRY_BACKOFF_S_MIN
                    if reply.events:
                        next_revision = reply.events[-1].kv.mod_revision + 1
                        yield reply
            except aio.AioRpcError as exc:
                self._failover(member, exc)
            finally:
                call.cancel()
            await asyncio.sleep(backoff_s)
            backoff_s = min(backoff_s * 2, RETRY_BACKOFF_S_MAX)
