"""Cache-only reads (``Engine.get_cached``): the bytes ``get`` would return, or None, never I/O.

Records whose header + data fit in CACHE_RECORD_BYTES_MAX are cached when read, those within
CACHE_WRITE_BYTES_MAX also when written; everything the engine cannot answer from memory is
None, so the caller falls back to a regular get.
"""

from __future__ import annotations

import os
import threading

import pytest

from objectio.native.engine import (
    BLOCK_BYTES,
    CACHE_RECORD_BYTES_MAX,
    CACHE_WRITE_BYTES_MAX,
    Engine,
    EngineError,
    NotFoundError,
)

SMALL_MAX = CACHE_RECORD_BYTES_MAX - BLOCK_BYTES  # largest data a cached record holds
WRITTEN_MAX = CACHE_WRITE_BYTES_MAX - BLOCK_BYTES  # largest data cached by its write


def test_small_record_is_served_after_its_write(engine: Engine) -> None:
    data = os.urandom(16 << 10)
    engine.put(b"frag", data, b"meta")
    assert engine.get_cached(b"frag") == data
    assert engine.get_cached(b"frag", 100) == data[100:]
    assert engine.get_cached(b"frag", 100, 50) == data[100:150]
    assert engine.get_cached(b"frag", len(data)) == b""
    assert engine.get_cached(b"frag", 0, 0) == b""
    assert engine.get(b"frag") == data


def test_writes_cache_small_records_reads_cache_larger_ones(engine: Engine) -> None:
    small, medium = os.urandom(WRITTEN_MAX), os.urandom(WRITTEN_MAX + 1)
    engine.put(b"small", small)
    engine.put(b"medium", medium)
    assert engine.get_cached(b"small") == small
    assert engine.get_cached(b"medium") is None  # a write does not cache it
    assert engine.get(b"medium", 5000, 10) == medium[5000:5010]  # a range read caches it whole
    assert engine.get_cached(b"medium") == medium
    assert engine.get_cached(b"medium", WRITTEN_MAX - 7, 9) == medium[WRITTEN_MAX - 7 : WRITTEN_MAX + 2]


def test_stat_and_scan_read_a_larger_record_without_caching_it(image: str) -> None:
    medium = os.urandom(WRITTEN_MAX + 1)
    with Engine.open(image) as eng:
        eng.put(b"medium", medium)
    with Engine.open(image) as eng:
        assert eng.stat(b"medium").length == len(medium)
        assert [info.key for info in eng.scan()] == [b"medium"]
        assert eng.get_cached(b"medium") is None  # only the header block was read
        assert eng.get(b"medium") == medium
        assert eng.get_cached(b"medium") == medium


def test_largest_cached_record_and_one_byte_more(engine: Engine) -> None:
    fits, too_big = os.urandom(SMALL_MAX), os.urandom(SMALL_MAX + 1)
    engine.put(b"fits", fits)
    engine.put(b"big", too_big)
    assert engine.get(b"fits") == fits
    assert engine.get_cached(b"fits") == fits
    assert engine.get_cached(b"big") is None  # never cached whole: the regular get reads it
    assert engine.get(b"big") == too_big
    assert engine.get_cached(b"big") is None


def test_cold_cache_misses_until_a_regular_read(image: str) -> None:
    data = b"cold" * 1000
    with Engine.open(image) as eng:
        eng.put(b"k", data)
    with Engine.open(image) as eng:
        assert eng.get_cached(b"k") is None
        assert eng.get(b"k") == data
        assert eng.get_cached(b"k") == data


def test_absent_key_and_bad_range(engine: Engine) -> None:
    with pytest.raises(NotFoundError):
        engine.get_cached(b"nothing-yet")  # empty tree
    engine.put(b"present", b"x" * 10)
    with pytest.raises(NotFoundError):
        engine.get_cached(b"absent")  # the cached tree says so
    with pytest.raises(EngineError):
        engine.get_cached(b"present", 11)  # offset past the end, as get
    with pytest.raises(EngineError):
        engine.get_cached(b"present", -1)


def test_overwrite_and_delete_are_seen(engine: Engine) -> None:
    engine.put(b"k", b"first" * 100)
    assert engine.get_cached(b"k") == b"first" * 100
    engine.put(b"k", b"second" * 100)
    assert engine.get_cached(b"k") == b"second" * 100
    engine.delete(b"k")
    with pytest.raises(NotFoundError):
        engine.get_cached(b"k")
    engine.put(b"other", b"reuses the freed blocks")  # the old extent's cache entry is gone
    assert engine.get_cached(b"other") == b"reuses the freed blocks"
    with pytest.raises(NotFoundError):
        engine.get_cached(b"k")


def test_closed_engine_raises(image: str) -> None:
    eng = Engine.open(image)
    eng.put(b"k", b"v")
    eng.close()
    with pytest.raises(EngineError):
        eng.get_cached(b"k")


def test_concurrent_overwrites_never_show_wrong_bytes(engine: Engine) -> None:
    """Readers racing writers (and their checkpoints) get a version that was written, or None."""
    keys = [b"key%02d" % i for i in range(8)]

    def value(key: bytes, version: int) -> bytes:
        return (key + b":%06d:" % version) * 200

    for key in keys:
        engine.put(key, value(key, 0))
    stop = threading.Event()
    errors: list[str] = []
    served = [0, 0]  # hits, misses

    def writer(offset: int) -> None:
        version = 0
        while not stop.is_set():
            version += 1
            engine.put(keys[(version + offset) % len(keys)], value(keys[(version + offset) % len(keys)], version))

    def reader() -> None:
        while not stop.is_set():
            for key in keys:
                got = engine.get_cached(key)
                if got is None:
                    served[1] += 1
                    continue
                served[0] += 1
                version = int(got[len(key) + 1 : len(key) + 7])
                if got != value(key, version):
                    errors.append(f"{key!r}: torn or foreign bytes")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(2)] + [threading.Thread(target=reader)]
    for t in threads:
        t.start()
    stop.wait(1.5)
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    assert served[0] > 0


def test_cache_counters_count_each_read_once(image: str) -> None:
    """A cache-only attempt that misses leaves the counters to the regular read that follows;
    one that serves a read counts one hit."""
    with Engine.open(image) as eng:
        eng.put(b"small", b"s" * 1000)
        eng.put(b"big", b"b" * (SMALL_MAX + 1))
    with Engine.open(image) as eng:
        before = eng.stats()
        assert eng.get_cached(b"small") is None
        assert eng.get_cached(b"big") is None
        after = eng.stats()
        assert (after.cache_hits, after.cache_misses) == (before.cache_hits, before.cache_misses)
        assert eng.get(b"small") == b"s" * 1000  # counts its own misses, caches the record
        before = eng.stats()
        assert eng.get_cached(b"small") == b"s" * 1000
        after = eng.stats()
        assert (after.cache_hits, after.cache_misses) == (before.cache_hits + 1, before.cache_misses)
