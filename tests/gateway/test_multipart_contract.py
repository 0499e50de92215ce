"""The MultipartBackend contract checks against the in-memory backend."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from memory_backend import MemoryBackend
from multipart_contract import MULTIPART_CHECKS

from objectio.gateway.backend import Backend


@pytest.mark.parametrize("check", MULTIPART_CHECKS, ids=lambda c: c.__name__)
async def test_memory_backend_honours_the_multipart_contract(
    check: Callable[[Backend, str, str], Awaitable[None]],
) -> None:
    await check(MemoryBackend(), "contract-bucket", "owner")
