"""Power-cut test through the fault-injecting I/O layer.

The layer keeps every write not yet covered by a flush in an undo log; at the cut each such
write is kept, dropped or torn (512-byte sectors independently old/new), chosen by the seed.
The cut lands after a seeded number of writes+flushes, i.e. anywhere: between a record's data
and its WAL frame, inside a group commit, inside a checkpoint's page or superblock writes.
After reopening without faults, every acknowledged operation is intact and nothing else is
visible except, per key, the one operation in flight.  A failure prints the seed.
"""

from __future__ import annotations

import contextlib
import random
import shutil
from pathlib import Path

import pytest
from enginetest import check_value, make_image, value_for

from objectio.native.engine import Engine, EngineError, NotFoundError

State = int | None


def workload(eng: Engine, rng: random.Random, acked: dict[bytes, State], pending: dict[bytes, State]) -> None:
    """Random operations until the power cut makes one fail."""
    seq = 0
    while True:
        seq += 1
        key = b"pc/%02d" % rng.randrange(40)
        roll = rng.random()
        if roll < 0.12 and acked.get(key) is not None:
            pending[key] = None
            eng.delete(key)
            acked[key] = None
        elif roll < 0.25:
            keys = sorted({b"pc/%02d" % rng.randrange(40) for _ in range(4)})
            items = [(k, value_for(k, seq, rng.choice([5, 3000, 70000])), b"") for k in keys]
            pending.update({k: seq for k in keys})
            eng.put_many(items)
            acked.update({k: seq for k in keys})
        elif roll < 0.3:
            eng.sync()
        else:
            pending[key] = seq
            eng.put(key, value_for(key, seq, rng.choice([1, 700, 4096, 9000, 150000])), b"m")
            acked[key] = seq
        pending.clear()


def one_cut(template: str, work: Path, seed: int) -> None:
    image = str(work / f"cut-{seed}.img")
    shutil.copyfile(template, image)
    rng = random.Random(seed)
    acked: dict[bytes, State] = {}
    pending: dict[bytes, State] = {}
    # a first session without faults gives the cut something old to damage
    with Engine.open(image, cache_bytes=1 << 20) as first:
        for i in range(rng.randrange(0, 30)):
            key = b"pc/%02d" % rng.randrange(40)
            first.put(key, value_for(key, 1_000_000 + i, rng.choice([10, 5000])))
            acked[key] = 1_000_000 + i
    cut_after = rng.randrange(1, 120)
    try:
        eng: Engine | None = Engine.open(image, cache_bytes=1 << 20, fault_seed=seed, fault_cut_after_ops=cut_after)
    except EngineError:
        eng = None  # the cut landed inside recovery
    if eng is not None:
        with contextlib.suppress(EngineError):
            workload(eng, rng, acked, pending)
        eng.close()
    with Engine.open(image, cache_bytes=1 << 20) as eng:
        for key in set(acked) | set(pending):
            allowed = {acked.get(key)}
            if key in pending:
                allowed.add(pending[key])
            try:
                actual: State = check_value(key, eng.get(key))
                eng.verify(key)
            except NotFoundError:
                actual = None
            assert actual in allowed, f"seed {seed} cut_after {cut_after}: {key!r} is {actual}, allowed {allowed}"
        listed = {i.key for i in eng.scan(limit=1000)}
        for key in listed:
            assert key in acked or key in pending, f"seed {seed}: unknown key {key!r} visible"
        eng.put(b"after-recovery", b"ok")
        assert eng.get(b"after-recovery") == b"ok"
    Path(image).unlink()


@pytest.fixture
def template(tmp_path: Path) -> str:
    return str(make_image(tmp_path / "template.img", 16 << 20))


def test_power_cut_fixed_seeds(template: str, tmp_path: Path) -> None:
    for seed in range(60):
        one_cut(template, tmp_path, seed)


@pytest.mark.slow
def test_power_cut_many_seeds(template: str, tmp_path: Path) -> None:
    for seed in range(1000, 1600):
        one_cut(template, tmp_path, seed)


def test_explicit_power_cut_drops_unflushed_only(image: str) -> None:
    eng = Engine.open(image, fault_seed=3)
    eng.put(b"durable", b"yes")
    eng._power_cut()
    with pytest.raises(EngineError):
        eng.put(b"after-cut", b"no")
    eng.close()
    with Engine.open(image) as again:
        assert again.get(b"durable") == b"yes"
        with pytest.raises(NotFoundError):
            again.get(b"after-cut")
