"""Group commit: one writer thread turns many concurrent small writes into one transaction.

Callers submit a write as a function of the writer's SQLite connection. The writer thread takes
the first pending write, then every other write already queued (up to ``batch_records_max``),
runs each inside its own SAVEPOINT within a single ``BEGIN IMMEDIATE`` transaction, and commits
once — one WAL fsync for the whole batch. While that fsync runs, new writes pile up in the
queue and become the next batch, so the batch size follows the load without any timer.
The outcomes of a batch reach the event loop in one wake-up (one ``call_soon_threadsafe``).

Invariants:

* A write's future resolves only after the COMMIT that contains it returned (durable), or with
  the exception its function raised (its SAVEPOINT was rolled back; the other writes of the
  batch are unaffected), or with the error that made the whole batch fail.
* Writes are applied in submission order; results are delivered in that order.
* A write whose caller was cancelled before the batch started is skipped; once its batch has
  started it is applied (like any call whose caller gave up, it may or may not have happened).
* Once :meth:`stop` is called no write is accepted; every write queued before it is finished.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from objectio.meta.errors import MetaStoreError, Overloaded, StoreClosed, Unavailable
from objectio.meta.store import WriterStats

WriteFn = Callable[[sqlite3.Connection], Any]
Outcome = tuple[bool, Any]  # (succeeded, result or exception)

log = logging.getLogger("objectio.meta.writer")


@dataclass
class _Write:
    fn: WriteFn
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


_STOP = object()  # queued by stop(): everything before it is written, nothing after it exists


class GroupCommitWriter:
    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        *,
        queue_depth_max: int,
        batch_records_max: int,
    ) -> None:
        if queue_depth_max < 1 or batch_records_max < 1:
            raise ValueError("queue_depth_max and batch_records_max must be positive")
        self._connect = connect
        self._queue_depth_max = queue_depth_max
        self._batch_records_max = batch_records_max
        self._queue: queue.SimpleQueue[_Write | object] = queue.SimpleQueue()
        self._lock = threading.Lock()  # orders "accepting?" checks against stop()
        self._accepting = False
        self._thread: threading.Thread | None = None
        self.stats = WriterStats()

    def start(self) -> None:
        assert self._thread is None, "writer started twice"
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="meta-writer", daemon=True)
        self._thread.start()
        ready.result()  # re-raises a failure to open the connection
        self._accepting = True

    async def submit(self, fn: WriteFn) -> Any:
        """Queue ``fn`` and wait until the transaction that ran it is durable."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            if not self._accepting:
                raise StoreClosed("the metadata store is closed")
            if self._queue.qsize() >= self._queue_depth_max:
                raise Overloaded(f"write queue full ({self._queue_depth_max} writes pending)")
            self._queue.put(_Write(fn, future, loop))
        return await future

    def stop(self) -> None:
        """Refuse new writes, finish the queued ones, join the thread (blocking)."""
        with self._lock:
            if not self._accepting:
                return
            self._accepting = False
            self._queue.put(_STOP)
        if self._thread is not None:
            self._thread.join()

    # ---- writer thread --------------------------------------------------------------------------

    def _run(self, ready: concurrent.futures.Future[None]) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:
            ready.set_exception(exc)
            return
        ready.set_result(None)
        try:
            stopping = False
            while not stopping:
                batch, stopping = self._take_batch()
                if batch:
                    _deliver(batch, self._write_batch(conn, batch))
        finally:
            conn.close()
            self._refuse_remaining()

    def _take_batch(self) -> tuple[list[_Write], bool]:
        """Block for one write, then take whatever else is queued, up to the batch limit."""
        items = [self._queue.get()]
        while len(items) < self._batch_records_max:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        self.stats.queue_depth = self._queue.qsize()
        batch: list[_Write] = []
        for item in items:
            if item is _STOP:
                assert self._queue.empty(), "write queued after stop()"
                return batch, True
            assert isinstance(item, _Write)
            if not item.future.cancelled():  # racy read, harmless: see the module invariants
                batch.append(item)
        return batch, False

    def _write_batch(self, conn: sqlite3.Connection, batch: list[_Write]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for write in batch:
                outcomes.append(self._apply_one(conn, write))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            log.error("group commit of %d writes failed: %s", len(batch), exc)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self.stats.writes_failed += len(batch)
            return [(False, Unavailable(f"metadata write failed: {exc}"))] * len(batch)
        succeeded = sum(1 for ok, _ in outcomes if ok)
        self.stats.commits += 1
        self.stats.writes_committed += succeeded
        self.stats.writes_failed += len(batch) - succeeded
        self.stats.batch_records_max_seen = max(self.stats.batch_records_max_seen, len(batch))
        return outcomes

    @staticmethod
    def _apply_one(conn: sqlite3.Connection, write: _Write) -> Outcome:
        """Run one write in its own savepoint; its failure rolls back only its own changes.
        sqlite3.Error from the savepoint statements themselves fails the whole batch."""
        conn.execute("SAVEPOINT w")
        try:
            value = write.fn(conn)
        except Exception as exc:
            conn.execute("ROLLBACK TO w")
            conn.execute("RELEASE w")
            if isinstance(exc, MetaStoreError):
                return False, exc
            log.exception("metadata write raised %s", type(exc).__name__)
            if isinstance(exc, sqlite3.Error):
                return False, Unavailable(f"metadata write failed: {exc}")
            return False, exc
        conn.execute("RELEASE w")
        return True, value

    def _refuse_remaining(self) -> None:
        """After the thread ends (stop, or a bug): no write may wait forever."""
        with self._lock:
            self._accepting = False
        leftovers: list[_Write] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, _Write):
                leftovers.append(item)
        _deliver(leftovers, [(False, StoreClosed("the metadata writer stopped"))] * len(leftovers))


def _deliver(batch: list[_Write], outcomes: list[Outcome]) -> None:
    """Resolve the futures of a batch with one wake-up of each event loop involved."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Write, Outcome]]] = {}
    for write, outcome in zip(batch, outcomes, strict=True):
        by_loop.setdefault(write.loop, []).append((write, outcome))
    for loop, items in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that event loop is closed: nobody waits any more
            loop.call_soon_threadsafe(_resolve, items)


def _resolve(items: list[tuple[_Write, Outcome]]) -> None:
    for write, (ok, value) in items:
        if write.future.cancelled():
            continue
        if ok:
            write.future.set_result(value)
        else:
            write.future.set_exception(value)
