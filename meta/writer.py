"""Group commit: one writer thread turns many concurrent small writes into one transaction.

Callers submit a write as a function of the writer's SQLite connection. The writer thread takes
the first pending write, then every other write already queued (up to ``batch_records_max``),
runs each inside its own SAVEPOINT within a single ``BEGIN IMMEDIATE`` transaction, and commits
once — one WAL fsync for the whole batch. While that fsync runs, new writes pile up in the
queue and become the next batch, so the batch size follows the load without any timer.

Invariants:

* A write's future resolves only after the COMMIT that contains it returned (durable), or with
  the exception its function raised (its SAVEPOINT was rolled back; the other writes of the
  batch are unaffected), or with the error that made the whole batch fail.
* Writes are applied in submission order; results are delivered in that order.
* Once :meth:`stop` is called no write is accepted; every write queued before it is finished.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from objectio.meta.errors import MetaStoreError, Overloaded, StoreClosed
from objectio.meta.store import WriterStats

T = TypeVar("T")
WriteFn = Callable[[sqlite3.Connection], Any]

log = logging.getLogger("objectio.meta.writer")


@dataclass
class _Write:
    fn: WriteFn
    future: concurrent.futures.Future[Any]


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
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._lock:
            if not self._accepting:
                raise StoreClosed("the metadata store is closed")
            if self._queue.qsize() >= self._queue_depth_max:
                raise Overloaded(f"write queue full ({self._queue_depth_max} writes pending)")
            self._queue.put(_Write(fn, future))
        return await asyncio.wrap_future(future)

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
                    self._write_batch(conn, batch)
        finally:
            conn.close()
            self._refuse_remaining()

    def _refuse_remaining(self) -> None:
        """After the thread ends (stop, or a bug): no write may wait forever."""
        with self._lock:
            self._accepting = False
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, _Write) and item.future.set_running_or_notify_cancel():
                item.future.set_exception(StoreClosed("the metadata writer stopped"))

    def _take_batch(self) -> tuple[list[_Write], bool]:
        """Block for one write, then take whatever else is queued, up to the batch limit."""
        items = [self._queue.get()]
        while len(items) < self._batch_records_max:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        batch: list[_Write] = []
        for item in items:
            if item is _STOP:
                assert self._queue.empty(), "write queued after stop()"
                return batch, True
            assert isinstance(item, _Write)
            if item.future.set_running_or_notify_cancel():  # a cancelled caller's write is skipped
                batch.append(item)
        return batch, False

    def _write_batch(self, conn: sqlite3.Connection, batch: list[_Write]) -> None:
        outcomes: list[tuple[bool, Any]] = []
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
            error = StoreClosed(f"metadata write failed: {exc}")
            for write in batch:
                write.future.set_exception(error)
            return
        self.stats.commits += 1
        self.stats.batch_records_max_seen = max(self.stats.batch_records_max_seen, len(batch))
        for write, (ok, value) in zip(batch, outcomes, strict=True):
            if ok:
                self.stats.writes_committed += 1
                write.future.set_result(value)
            else:
                self.stats.writes_failed += 1
                write.future.set_exception(value)

    @staticmethod
    def _apply_one(conn: sqlite3.Connection, write: _Write) -> tuple[bool, Any]:
        """Run one write in its own savepoint; its failure rolls back only its own changes.
        sqlite3.Error from the savepoint statements themselves fails the whole batch."""
        conn.execute("SAVEPOINT w")
        try:
            value = write.fn(conn)
        except Exception as exc:
            if not isinstance(exc, MetaStoreError):
                log.exception("metadata write raised %s", type(exc).__name__)
            conn.execute("ROLLBACK TO w")
            conn.execute("RELEASE w")
            return False, exc
        conn.execute("RELEASE w")
        return True, value
