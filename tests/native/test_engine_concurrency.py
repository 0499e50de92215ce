"""Concurrency: many threads put at once (GIL released) and share flushes (group commit)."""

from __future__ import annotations

import os
import threading

from objectio.native.engine import ClosedError, Engine, EngineStats


def test_concurrent_puts_group_commit(image: str) -> None:
    threads_n, per_thread = 16, 40
    payload = {b"t%02d/%03d" % (t, i): os.urandom(4096) for t in range(threads_n) for i in range(per_thread)}
    errors: list[BaseException] = []
    with Engine.open(image) as eng:
        before = eng.stats()
        barrier = threading.Barrier(threads_n)

        def writer(t: int) -> None:
            try:
                barrier.wait()
                for i in range(per_thread):
                    key = b"t%02d/%03d" % (t, i)
                    eng.put(key, payload[key])
            except BaseException as exc:
                errors.append(exc)

        workers = [threading.Thread(target=writer, args=(t,)) for t in range(threads_n)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert not errors, errors
        after = eng.stats()
        commits = after.group_commits - before.group_commits
        records = after.group_commit_records - before.group_commit_records
        assert records == threads_n * per_thread
        assert records > commits, f"no batching: {records} records in {commits} flushes"
        for key, data in payload.items():
            assert eng.get(key) == data
    with Engine.open(image) as eng:
        for key, data in payload.items():
            assert eng.get(key) == data


def test_readers_and_writers_on_the_same_keys(image: str) -> None:
    values = [bytes([v]) * 70000 for v in range(8)]
    stop = threading.Event()
    errors: list[BaseException] = []
    with Engine.open(image) as eng:
        for k in range(4):
            eng.put(b"hot%d" % k, values[0])

        def writer(seed: int) -> None:
            try:
                for i in range(60):
                    eng.put(b"hot%d" % (i % 4), values[(seed + i) % 8])
                    if i % 20 == 19:
                        eng.sync()
            except BaseException as exc:
                errors.append(exc)

        def reader() -> None:
            try:
                while not stop.is_set():
                    for k in range(4):
                        got = eng.get(b"hot%d" % k)
                        assert got in values, "torn or foreign bytes"
                        assert eng.get(b"hot%d" % k, 1000, 10) in {v[:10] for v in values}
            except BaseException as exc:
                errors.append(exc)

        writers = [threading.Thread(target=writer, args=(s,)) for s in range(3)]
        readers = [threading.Thread(target=reader) for _ in range(3)]
        for t in writers + readers:
            t.start()
        for t in writers:
            t.join()
        stop.set()
        for t in readers:
            t.join()
        assert not errors, errors
        final = {k: eng.get(b"hot%d" % k) for k in range(4)}
        stats: EngineStats = eng.stats()
        assert stats.object_count == 4
    with Engine.open(image) as eng:
        assert {k: eng.get(b"hot%d" % k) for k in range(4)} == final


def test_concurrent_put_many_and_delete(image: str) -> None:
    errors: list[BaseException] = []
    with Engine.open(image) as eng:

        def batcher(t: int) -> None:
            try:
                for r in range(10):
                    eng.put_many([(b"b%d/%d/%d" % (t, r, i), b"x" * i, b"") for i in range(20)])
                    for i in range(0, 20, 2):
                        eng.delete(b"b%d/%d/%d" % (t, r, i))
            except BaseException as exc:
                errors.append(exc)

        workers = [threading.Thread(target=batcher, args=(t,)) for t in range(6)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert not errors, errors
        keys = {i.key for i in eng.scan(limit=10000)}
        assert keys == {b"b%d/%d/%d" % (t, r, i) for t in range(6) for r in range(10) for i in range(1, 20, 2)}
        assert eng.stats().object_count == len(keys)


def test_close_waits_for_calls_in_flight(image: str) -> None:
    eng = Engine.open(image)
    eng.put(b"k", os.urandom(300000))
    outcomes: list[str] = []
    start = threading.Barrier(5)

    def reader() -> None:
        start.wait()
        try:
            while True:
                eng.get(b"k")
                eng.put(b"w%d" % threading.get_ident(), b"x")
        except ClosedError:
            outcomes.append("closed")
        except BaseException as exc:
            outcomes.append(repr(exc))

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    start.wait()
    eng.close()
    for t in threads:
        t.join()
    assert outcomes == ["closed"] * 4
