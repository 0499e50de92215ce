"""Helpers shared by the engine tests (fixtures live in conftest.py)."""

from __future__ import annotations

import random
from pathlib import Path

from objectio.native.engine import Engine

CLUSTER_ID = "6f1c0b3e-9a4d-4c2e-8f7a-1d2b3c4d5e6f"


def make_image(path: Path, size_bytes: int) -> str:
    """A sparse regular file of size_bytes, formatted as an engine device."""
    with open(path, "wb") as f:
        f.truncate(size_bytes)
    Engine.format(str(path), osd_id=7, cluster_id=CLUSTER_ID)
    return str(path)


def value_for(key: bytes, seq: int, size: int) -> bytes:
    """Deterministic, self-identifying record content: b"<seq>|" + pseudo-random bytes."""
    head = b"%d|" % seq
    rng = random.Random(hash_seed(key, seq))
    return head + rng.randbytes(max(size - len(head), 0))


def hash_seed(key: bytes, seq: int) -> int:
    return int.from_bytes(key[:16].ljust(16, b"\0"), "little") ^ (seq * 0x9E3779B97F4A7C15)


def check_value(key: bytes, value: bytes) -> int:
    """The seq a value claims, after checking the value is exactly what that seq wrote."""
    seq = int(value.split(b"|", 1)[0])
    assert value == value_for(key, seq, len(value)), f"{key!r}: bytes differ from what seq {seq} wrote"
    return seq
