"""Property test: random put/get/delete/scan/reopen sequences against a dict model.

Hypothesis runs derandomized (fixed seed), so a failure reproduces exactly; the falsifying
example it prints is the reproduction.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from enginetest import make_image
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from objectio.native.engine import Engine, NotFoundError

KEYS = st.binary(min_size=1, max_size=12).map(lambda b: b"p/" + b) | st.sampled_from([b"p/a", b"p/b", b"q"])
SIZES = st.sampled_from([0, 1, 100, 4095, 4096, 4097, 70000, 200000])

OPS = st.one_of(
    st.tuples(st.just("put"), KEYS, SIZES, st.binary(max_size=40)),
    st.tuples(st.just("delete"), KEYS, st.just(0), st.just(b"")),
    st.tuples(st.just("get"), KEYS, st.integers(0, 300000), st.just(b"")),
    st.tuples(st.just("scan"), st.binary(max_size=3), st.integers(1, 20), st.just(b"")),
    st.tuples(st.just("reopen"), st.just(b""), st.just(0), st.just(b"")),
    st.tuples(st.just("sync"), st.just(b""), st.just(0), st.just(b"")),
)


def run_ops(image: str, ops: list[tuple[str, bytes, int, bytes]]) -> None:
    model: dict[bytes, tuple[bytes, bytes]] = {}
    eng = Engine.open(image, cache_bytes=1 << 20)
    try:
        for op, key, n, meta in ops:
            if op == "put":
                data = os.urandom(n)
                eng.put(key, data, meta)
                model[key] = (data, meta)
            elif op == "delete":
                if key in model:
                    eng.delete(key)
                    del model[key]
                else:
                    try:
                        eng.delete(key)
                        raise AssertionError(f"delete of absent {key!r} succeeded")
                    except NotFoundError:
                        pass
            elif op == "get":
                if key in model:
                    data = model[key][0]
                    assert eng.get(key) == data
                    assert eng.get(key, min(n, len(data)), 5000) == data[min(n, len(data)) :][:5000]
                    assert eng.stat(key).meta == model[key][1]
                else:
                    try:
                        eng.get(key)
                        raise AssertionError(f"absent {key!r} readable")
                    except NotFoundError:
                        pass
            elif op == "scan":
                want = sorted(k for k in model if k.startswith(b"p/"))
                after = b"p/" + key
                got = [i.key for i in eng.scan(prefix=b"p/", start_after=after, limit=n)]
                assert got == [k for k in want if k > after][:n]
            elif op == "reopen":
                eng.close()
                eng = Engine.open(image, cache_bytes=1 << 20)
            elif op == "sync":
                eng.sync()
        eng.close()
        eng = Engine.open(image, cache_bytes=1 << 20)
        assert {i.key: i.length for i in eng.scan(limit=10000)} == {k: len(v[0]) for k, v in model.items()}
        for key, (data, meta) in model.items():
            assert eng.get(key) == data and eng.stat(key).meta == meta
            eng.verify(key)
        assert eng.stats().object_count == len(model)
    finally:
        eng.close()


@settings(
    derandomize=True,
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(OPS, max_size=60))
def test_engine_matches_dict_model(tmp_path: Path, ops: list[tuple[str, bytes, int, bytes]]) -> None:
    image = make_image(tmp_path / "prop.img", 16 << 20)
    try:
        run_ops(image, ops)
    finally:
        Path(image).unlink()


def big_model_run(tmp_path: Path, seed: int, ops_count: int) -> None:
    """Many keys (deep tree: splits, empty-leaf removal, root collapse), tiny cache."""
    import random

    rng = random.Random(seed)
    image = make_image(tmp_path / f"big-{seed}.img", 64 << 20)
    model: dict[bytes, bytes] = {}
    eng = Engine.open(image, cache_bytes=256 << 10)
    try:
        for i in range(ops_count):
            key = b"big/%s/%05d" % (b"x" * rng.randrange(0, 150), rng.randrange(3000))
            if rng.random() < 0.35 and model:
                victim = rng.choice(sorted(model))
                eng.delete(victim)
                del model[victim]
            else:
                data = rng.randbytes(rng.choice([0, 10, 300]))
                eng.put(key, data)
                model[key] = data
            if i % 1000 == 999:
                eng.close()
                eng = Engine.open(image, cache_bytes=256 << 10)
                assert [x.key for x in eng.scan(limit=10000)] == sorted(model), f"seed {seed} op {i}"
        for key, data in model.items():
            assert eng.get(key) == data, f"seed {seed}: {key!r}"
        for key in sorted(model):  # delete everything: the tree must collapse to empty
            eng.delete(key)
        assert eng.scan() == [] and eng.stats().object_count == 0
        eng.close()
        eng = Engine.open(image, cache_bytes=256 << 10)
        assert eng.scan() == [] and eng.stats().btree_pages == 0
    finally:
        eng.close()


def test_many_keys_against_model(tmp_path: Path) -> None:
    big_model_run(tmp_path, seed=11, ops_count=3500)


@pytest.mark.slow
def test_many_keys_against_model_long(tmp_path: Path) -> None:
    for seed in range(20, 25):
        big_model_run(tmp_path, seed=seed, ops_count=20000)
