"""Python binding of the per-disk storage engine (C core in native/*.c).

One thin wrapper per C function: sizes are checked here, buffers are passed without
copying (``ffi.from_buffer``), and every return code goes through :func:`ensure`, which
turns it into a typed exception.  cffi releases the GIL for every call, so several threads
(e.g. an asyncio OSD's executor) really run engine calls in parallel; the engine has its
own locking and shares one flush among concurrent writers (group commit).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from objectio.native._engine import ffi, lib

# Limits, read from the C header (never duplicated here).
BLOCK_BYTES: int = lib.OIO_BLOCK_BYTES
KEY_BYTES_MAX: int = lib.OIO_KEY_BYTES_MAX
META_BYTES_MAX: int = lib.OIO_META_BYTES_MAX
EXTENT_BYTES_MAX: int = lib.OIO_EXTENT_BYTES_MAX
CHUNK_BYTES: int = lib.OIO_CHUNK_BYTES
WAL_BYTES_MAX: int = lib.OIO_WAL_BYTES_MAX
WAL_BYTES_MIN: int = lib.OIO_WAL_BYTES_MIN
CACHE_BYTES_DEFAULT: int = lib.OIO_CACHE_BYTES_DEFAULT
CACHE_BYTES_MIN: int = lib.OIO_CACHE_BYTES_MIN
BUFPOOL_BYTES_MAX: int = lib.OIO_BUFPOOL_BYTES_MAX
CACHE_RECORD_BYTES_MAX: int = lib.OIO_CACHE_RECORD_BYTES_MAX  # header block + data read and cached whole
CACHE_WRITE_BYTES_MAX: int = lib.OIO_CACHE_WRITE_BYTES_MAX  # header block + data also cached when written
INFLIGHT_WRITERS_MAX: int = lib.OIO_INFLIGHT_WRITERS_MAX
GROUP_COMMIT_GATHER_US_MAX: int = lib.OIO_GROUP_COMMIT_GATHER_US_MAX
PUT_MANY_ITEMS_MAX: int = lib.OIO_PUT_MANY_ITEMS_MAX
SCAN_LIMIT_MAX: int = lib.OIO_SCAN_LIMIT_MAX
DEVICE_BYTES_MIN: int = lib.OIO_DEVICE_BYTES_MIN
FORMAT_VERSION: int = lib.OIO_FORMAT_VERSION
FLAG_META_UNREADABLE: int = lib.OIO_FLAG_META_UNREADABLE

_LENGTH_TO_END = (1 << 64) - 1
_new_uncleared = ffi.new_allocator(should_clear_after_alloc=False)  # get buffers are overwritten
_GET_GUESS_BYTES = 64 << 10  # first buffer for get(length=None); larger records cost one retry


class EngineError(Exception):
    """An engine call failed; ``code`` is the C error code (OIO_*)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class NotFoundError(EngineError):
    """The key is absent."""


class CorruptionError(EngineError):
    """A checksum did not match; no bytes were returned."""


class NoSpaceError(EngineError):
    """No free extent is large enough; the store stays usable."""


class DeviceBusyError(EngineError):
    """Device mounted, held by someone else, or holding a filesystem (format without force)."""


class ClosedError(EngineError):
    """The engine was closed."""


_ERRORS: dict[int, type[EngineError]] = {
    lib.OIO_NOT_FOUND: NotFoundError,
    lib.OIO_CORRUPT: CorruptionError,
    lib.OIO_NOSPC: NoSpaceError,
    lib.OIO_BUSY: DeviceBusyError,
    lib.OIO_CLOSED: ClosedError,
}


def ensure(rc: int, context: str) -> None:
    """Raise the exception for C return code ``rc``; ``context`` names the op, path, key."""
    if rc == lib.OIO_OK:
        return
    reason = ffi.string(lib.oio_strerror(rc)).decode()
    raise _ERRORS.get(rc, EngineError)(rc, f"{context}: {reason} (code {rc})")


@dataclass(frozen=True)
class ShardInfo:
    key: bytes
    length: int
    crc32c: int
    generation: int
    flags: int
    meta: bytes


@dataclass(frozen=True)
class SuperblockInfo:
    disk_uuid: str
    osd_id: int
    cluster_id: str
    block_size: int
    capacity_bytes: int
    format_version: int


@dataclass(frozen=True)
class EngineStats:
    capacity_bytes: int
    used_bytes: int
    free_bytes: int
    object_count: int
    wal_bytes: int
    wal_capacity_bytes: int
    btree_pages: int
    btree_dirty_pages: int
    cache_bytes: int
    cache_capacity_bytes: int
    cache_hits: int
    cache_misses: int
    cache_evictions: int
    group_commits: int
    group_commit_records: int
    flushes: int
    checkpoints: int
    replayed_records: int


def crc32c(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """CRC-32C as the engine computes it (hardware when available)."""
    return int(lib.oio_crc32c(crc, ffi.from_buffer(data), len(data)))


def crc32c_software(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    return int(lib.oio_crc32c_sw(crc, ffi.from_buffer(data), len(data)))


def crc32c_hardware(data: bytes | bytearray | memoryview, crc: int = 0) -> int | None:
    """SSE4.2 CRC-32C, or None when the CPU lacks it."""
    if not lib.oio_crc32c_hw_available():
        return None
    return int(lib.oio_crc32c_hw(crc, ffi.from_buffer(data), len(data)))


def _check_key(key: bytes, op: str) -> None:
    if not isinstance(key, bytes | bytearray):
        raise TypeError(f"{op}: key must be bytes, not {type(key).__name__}")
    if not 0 < len(key) <= KEY_BYTES_MAX:
        raise EngineError(
            lib.OIO_TOO_BIG if key else lib.OIO_INVALID,
            f"{op} {bytes(key)[:64]!r}: key must be 1..{KEY_BYTES_MAX} bytes, got {len(key)}",
        )


def _check_item(key: bytes, data: Any, meta: bytes, op: str) -> None:
    _check_key(key, op)
    if len(meta) > META_BYTES_MAX:
        raise EngineError(lib.OIO_TOO_BIG, f"{op} {key!r}: meta is {len(meta)} bytes, max {META_BYTES_MAX}")
    if memoryview(data).nbytes > EXTENT_BYTES_MAX:
        raise EngineError(
            lib.OIO_TOO_BIG, f"{op} {key!r}: data is {memoryview(data).nbytes} bytes, max {EXTENT_BYTES_MAX}"
        )


def _uuid_str(raw: Any) -> str:
    return str(uuid.UUID(bytes=bytes(ffi.buffer(raw, 16))))


def _sb_info(sb: Any) -> SuperblockInfo:
    return SuperblockInfo(
        disk_uuid=_uuid_str(sb.disk_uuid),
        osd_id=int(sb.osd_id),
        cluster_id=_uuid_str(sb.cluster_id),
        block_size=int(sb.block_size),
        capacity_bytes=int(sb.capacity_bytes),
        format_version=int(sb.format_version),
    )


def _shard_info(info: Any) -> ShardInfo:
    return ShardInfo(
        key=bytes(ffi.buffer(info.key, info.key_len)),
        length=int(info.length),
        crc32c=int(info.crc32c),
        generation=int(info.generation),
        flags=int(info.flags),
        meta=bytes(ffi.buffer(info.meta, info.meta_len)),
    )


class Engine:
    """One open engine device.  Thread-safe; use as a context manager or call close()."""

    def __init__(self, handle: Any, path: str) -> None:
        self._handle = handle
        self._path = path
        self._users = 0  # calls inside the C engine; close() waits for them to return
        self._cond = threading.Condition()

    # ---- lifecycle -------------------------------------------------------
    @staticmethod
    def format(path: str, *, osd_id: int, cluster_id: str, force: bool = False) -> SuperblockInfo:
        """Write a fresh engine onto ``path``; refuses mounted/used/filesystem-holding targets."""
        cid = uuid.UUID(cluster_id).bytes
        out = ffi.new("oio_sb_info *")
        rc = lib.oio_format(path.encode(), osd_id, cid, 1 if force else 0, out)
        ensure(rc, f"format {path}")
        return _sb_info(out)

    @classmethod
    def open(
        cls,
        path: str,
        *,
        cache_bytes: int = CACHE_BYTES_DEFAULT,
        fault_seed: int | None = None,
        fault_cut_after_ops: int = 0,
    ) -> Engine:
        """Open and recover ``path``.  ``fault_seed`` (tests only) routes I/O through the
        fault-injecting layer; ``fault_cut_after_ops`` cuts power after that many writes+flushes."""
        if cache_bytes < CACHE_BYTES_MIN:
            raise EngineError(lib.OIO_INVALID, f"open {path}: cache_bytes must be >= {CACHE_BYTES_MIN}")
        opts = ffi.new("oio_open_opts *")
        opts.cache_bytes = cache_bytes
        opts.fault_enabled = 0 if fault_seed is None else 1
        opts.fault_seed = fault_seed or 0
        opts.fault_cut_after_ops = fault_cut_after_ops
        out = ffi.new("oio_engine **")
        ensure(lib.oio_open(path.encode(), opts, out), f"open {path}")
        return cls(out[0], path)

    def close(self) -> None:
        """Checkpoint and release the device.  Waits for calls in progress; later calls raise."""
        with self._cond:
            handle, self._handle = self._handle, None
            while self._users > 0:
                self._cond.wait()
        if handle is not None:
            ensure(lib.oio_close(handle), f"close {self._path}")

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _call(self, op: str, fn: Any, *args: Any) -> int:
        """Call C function fn(handle, *args) while keeping close() from freeing the handle."""
        with self._cond:
            handle = self._handle
            if handle is None:
                raise ClosedError(lib.OIO_CLOSED, f"{op} {self._path}: engine is closed")
            self._users += 1
        try:
            return int(fn(handle, *args))
        finally:
            with self._cond:
                self._users -= 1
                if self._users == 0:
                    self._cond.notify_all()

    # ---- records ---------------------------------------------------------
    def superblock(self) -> SuperblockInfo:
        out = ffi.new("oio_sb_info *")
        ensure(self._call("superblock", lib.oio_superblock, out), f"superblock {self._path}")
        return _sb_info(out)

    def put(self, key: bytes, data: bytes | bytearray | memoryview, meta: bytes = b"") -> ShardInfo:
        """Store ``data`` under ``key``; durable when this returns.  Overwrites bump generation."""
        _check_item(key, data, meta, "put")
        out = ffi.new("oio_shard_info *")
        view = ffi.from_buffer(data)
        rc = self._call("put", lib.oio_put, key, len(key), view, len(view), meta, len(meta), out)
        ensure(rc, f"put {self._path} {key!r}")
        return _shard_info(out)

    def put_many(self, items: Sequence[tuple[bytes, bytes | bytearray | memoryview, bytes]]) -> list[ShardInfo]:
        """Store many records with one flush; each record is all-or-nothing."""
        if not items:
            return []
        if len(items) > PUT_MANY_ITEMS_MAX:
            raise EngineError(lib.OIO_TOO_BIG, f"put_many {self._path}: {len(items)} items, max {PUT_MANY_ITEMS_MAX}")
        arr = ffi.new("oio_put_item[]", len(items))
        keep: list[Any] = []
        for i, (key, data, meta) in enumerate(items):
            _check_item(key, data, meta, "put_many")
            view = ffi.from_buffer(data)
            kbuf = ffi.from_buffer(key)
            mbuf = ffi.from_buffer(meta)
            keep += (view, kbuf, mbuf)
            arr[i].key, arr[i].key_len = kbuf, len(key)
            arr[i].data, arr[i].data_len = view, len(view)
            arr[i].meta, arr[i].meta_len = mbuf, len(meta)
        out = ffi.new("oio_shard_info[]", len(items))
        ensure(self._call("put_many", lib.oio_put_many, arr, len(items), out), f"put_many {self._path}")
        return [_shard_info(out[i]) for i in range(len(items))]

    def get(self, key: bytes, offset: int = 0, length: int | None = None) -> bytes:
        """Bytes [offset, offset+length) of the record (to its end when length is None)."""
        _check_key(key, "get")
        if offset < 0 or (length is not None and length < 0):
            raise EngineError(lib.OIO_INVALID, f"get {key!r}: negative offset/length")
        want = _LENGTH_TO_END if length is None else length
        size = _GET_GUESS_BYTES if length is None else min(length, EXTENT_BYTES_MAX)
        n = ffi.new("uint64_t *")
        while True:
            # 4 KiB aligned, with room to the next block boundary: the engine can then read
            # straight into it instead of through a bounce buffer
            cap = (size + 2 * BLOCK_BYTES - 1) // BLOCK_BYTES * BLOCK_BYTES
            raw = _new_uncleared("uint8_t[]", cap + BLOCK_BYTES)
            buf = raw + (-int(ffi.cast("uintptr_t", raw)) % BLOCK_BYTES)
            rc = self._call("get", lib.oio_get, key, len(key), offset, want, buf, cap, n)
            if rc != lib.OIO_RANGE:
                break
            size = int(n[0])  # the record is larger than the guess: the C side says how large
        ensure(rc, f"get {self._path} {key!r} offset={offset} length={length}")
        return bytes(ffi.buffer(buf, n[0]))

    def get_cached(self, key: bytes, offset: int = 0, length: int | None = None) -> bytes | None:
        """:meth:`get`'s bytes when the engine can serve them from its cache alone, else None.

        Never reads the device and never waits for the index lock, so an event loop may call
        it inline; None means "do a regular :meth:`get`" (which is also the one that reports a
        cached copy that failed its checksums). A key the cached index says is absent raises
        :class:`NotFoundError` as :meth:`get` would."""
        _check_key(key, "get_cached")
        if offset < 0 or (length is not None and length < 0):
            raise EngineError(lib.OIO_INVALID, f"get_cached {key!r}: negative offset/length")
        want = _LENGTH_TO_END if length is None else length
        # A small first buffer (most cached reads are small records); a larger cached record
        # answers OIO_RANGE with its size before any copy, and the second call is sized for it.
        cap = _GET_GUESS_BYTES if length is None else min(length, CACHE_RECORD_BYTES_MAX)
        n = ffi.new("uint64_t *")
        for _ in range(2):
            buf = _new_uncleared("uint8_t[]", cap)
            rc = self._call("get_cached", lib.oio_get_cached, key, len(key), offset, want, buf, cap, n)
            if rc != lib.OIO_RANGE:
                break
            cap = int(n[0])
        if rc in (lib.OIO_MISS, lib.OIO_RANGE):  # RANGE twice: the record changed meanwhile
            return None
        ensure(rc, f"get_cached {self._path} {key!r} offset={offset} length={length}")
        return bytes(ffi.buffer(buf, n[0]))

    def stat(self, key: bytes) -> ShardInfo:
        _check_key(key, "stat")
        out = ffi.new("oio_shard_info *")
        ensure(self._call("stat", lib.oio_stat, key, len(key), out), f"stat {self._path} {key!r}")
        return _shard_info(out)

    def delete(self, key: bytes) -> None:
        """Remove ``key``; durable when this returns.  NotFoundError when absent."""
        _check_key(key, "delete")
        ensure(self._call("delete", lib.oio_delete, key, len(key)), f"delete {self._path} {key!r}")

    def scan(self, prefix: bytes = b"", start_after: bytes = b"", limit: int = 1000) -> list[ShardInfo]:
        """Records whose key starts with ``prefix`` and is > ``start_after``, in key order."""
        if len(prefix) > KEY_BYTES_MAX or len(start_after) > KEY_BYTES_MAX:
            raise EngineError(lib.OIO_TOO_BIG, f"scan {self._path}: prefix/start_after longer than {KEY_BYTES_MAX}")
        if not 0 < limit <= SCAN_LIMIT_MAX:
            raise EngineError(lib.OIO_INVALID, f"scan {self._path}: limit must be 1..{SCAN_LIMIT_MAX}")
        out = ffi.new("oio_shard_info[]", limit)
        n = ffi.new("uint32_t *")
        rc = self._call("scan", lib.oio_scan, prefix, len(prefix), start_after, len(start_after), limit, out, n)
        ensure(rc, f"scan {self._path} prefix={prefix!r} start_after={start_after!r}")
        return [_shard_info(out[i]) for i in range(n[0])]

    def verify(self, key: bytes) -> None:
        """Read the record from disk and check every checksum; CorruptionError on mismatch."""
        _check_key(key, "verify")
        ensure(self._call("verify", lib.oio_verify, key, len(key)), f"verify {self._path} {key!r}")

    def sync(self) -> None:
        """Checkpoint: write dirty index pages and trim the WAL (puts are durable without it)."""
        ensure(self._call("sync", lib.oio_sync), f"sync {self._path}")

    def stats(self) -> EngineStats:
        out = ffi.new("oio_stats *")
        ensure(self._call("stats", lib.oio_stats_get, out), f"stats {self._path}")
        return EngineStats(**{name: int(getattr(out, name)) for name in EngineStats.__dataclass_fields__})

    # ---- test hooks ------------------------------------------------------
    def _power_cut(self) -> None:
        """Fault layer only: lose/tear every unflushed write now; later I/O fails."""
        ensure(self._call("power_cut", lib.oio_power_cut), f"power_cut {self._path}")

    def _page_blocks(self) -> list[tuple[int, int]]:
        """(device byte offset, level) of every live B-tree page."""
        cap = 1 << 16
        blocks = ffi.new("uint64_t[]", cap)
        levels = ffi.new("uint32_t[]", cap)
        n = ffi.new("uint32_t *")
        ensure(self._call("pages", lib.oio_debug_pages, blocks, levels, cap, n), f"pages {self._path}")
        return [(int(blocks[i]) * BLOCK_BYTES, int(levels[i])) for i in range(n[0])]

    def _extent_offset(self, key: bytes) -> int:
        """Device byte offset of the record's header block (its data follows)."""
        off = ffi.new("uint64_t *")
        ensure(self._call("extent", lib.oio_debug_extent, key, len(key), off), f"extent {self._path} {key!r}")
        return int(off[0])
