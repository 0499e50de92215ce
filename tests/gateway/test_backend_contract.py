"""The Backend contract checks against the in-memory backend the gateway tests rely on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from backend_contract import CHECKS
from memory_backend import MemoryBackend

from objectio.gateway.backend import Backend


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
async def test_memory_backend_honours_the_contract(check: Callable[[Backend, str, str], Awaitable[None]]) -> None:
    await check(MemoryBackend(), "contract-bucket", "owner")
