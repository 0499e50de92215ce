"""Full-disk test: fill a small device until NoSpaceError; deletes free space that puts reuse."""

from __future__ import annotations

from pathlib import Path

import pytest
from enginetest import make_image

from objectio.native.engine import Engine, NoSpaceError

MIB = 1 << 20


def test_fill_then_delete_then_reuse(tmp_path: Path) -> None:
    image = make_image(tmp_path / "full.img", 16 * MIB)
    with Engine.open(image) as eng:
        stored: list[bytes] = []
        with pytest.raises(NoSpaceError) as err:
            for i in range(100):
                key = b"fill/%03d" % i
                eng.put(key, bytes([i]) * MIB)
                stored.append(key)
        assert "fill/" in str(err.value)
        assert 8 <= len(stored) < 16
        full = eng.stats()
        assert full.free_bytes < 2 * MIB
        # clean failure: everything stored is intact, small puts still fit, the store works
        for i, key in enumerate(stored):
            assert eng.get(key) == bytes([i]) * MIB
        eng.put(b"tiny", b"t")
        with pytest.raises(NoSpaceError):
            eng.put(b"too-big", bytes(MIB))
        # deletes free space that later puts reuse
        for key in stored[:4]:
            eng.delete(key)
        freed = eng.stats()
        assert freed.free_bytes >= full.free_bytes + 4 * MIB
        for i in range(4):
            eng.put(b"again/%d" % i, bytes([200 + i]) * MIB)
        reused = eng.stats()
        assert reused.free_bytes <= freed.free_bytes - 4 * MIB
        assert reused.capacity_bytes == full.capacity_bytes
    with Engine.open(image) as eng:  # and it all survives a reopen
        for i in range(4):
            assert eng.get(b"again/%d" % i) == bytes([200 + i]) * MIB
        for i, key in enumerate(stored[4:], start=4):
            assert eng.get(key) == bytes([i]) * MIB


def test_overwrite_churn_does_not_leak(tmp_path: Path) -> None:
    image = make_image(tmp_path / "churn.img", 16 * MIB)
    with Engine.open(image) as eng:
        base = eng.stats().free_bytes
        for i in range(200):  # 200 MiB written through a 16 MiB device
            eng.put(b"same-%d" % (i % 3), bytes([i % 256]) * MIB)
        eng.sync()
        assert eng.get(b"same-1") == bytes([199]) * MIB
        assert eng.get(b"same-2") == bytes([197]) * MIB
        assert eng.stats().free_bytes >= base - 3 * MIB - (64 << 10)
    with Engine.open(image) as eng:
        assert eng.stats().free_bytes >= base - 3 * MIB - (64 << 10)
