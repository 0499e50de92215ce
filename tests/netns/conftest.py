"""Multi-host fixtures: namespaces need root and iproute2; without them every test here is
skipped with the reason (CI runs as root, so there these tests always run)."""

from __future__ import annotations

import pytest

from tests.netns.network import unavailable_reason


@pytest.fixture(autouse=True)
def _needs_namespaces() -> None:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
