"""Fixtures for the storage engine tests: formatted image files under tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from enginetest import make_image

from objectio.native.engine import Engine


@pytest.fixture
def image(tmp_path: Path) -> str:
    """A formatted 64 MiB engine image."""
    return str(make_image(tmp_path / "disk.img", 64 << 20))


@pytest.fixture
def engine(image: str) -> Iterator[Engine]:
    eng = Engine.open(image, cache_bytes=8 << 20)
    try:
        yield eng
    finally:
        eng.close()
