"""Helpers shared by the engine tests (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from objectio.native.engine import Engine

CLUSTER_ID = "6f1c0b3e-9a4d-4c2e-8f7a-1d2b3c4d5e6f"


def make_image(path: Path, size_bytes: int) -> str:
    """A sparse regular file of size_bytes, formatted as an engine device."""
    with open(path, "wb") as f:
        f.truncate(size_bytes)
    Engine.format(str(path), osd_id=7, cluster_id=CLUSTER_ID)
    return str(path)
