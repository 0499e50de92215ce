"""Access keys by id, cached for a short time so a request costs no backend round trip for them.

Only found keys are cached (a new key works at once); a deleted or rotated key is honoured
within ``ttl_seconds``. Secrets stay in memory only, are never logged, and the cache is bounded.
"""

from __future__ import annotations

import time
from typing import Protocol

from objectio.gateway.backend import AccessKey


class KeyLookup(Protocol):
    async def lookup_key(self, access_key: str) -> AccessKey | None: ...


class KeyCache:
    def __init__(self, source: KeyLookup, ttl_seconds: float, entries_max: int = 10000) -> None:
        if ttl_seconds < 0 or entries_max <= 0:
            raise ValueError("ttl_seconds must be >= 0 and entries_max > 0")
        self._source = source
        self._ttl = ttl_seconds
        self._entries_max = entries_max
        self._entries: dict[str, tuple[AccessKey, float]] = {}

    async def lookup_key(self, access_key: str) -> AccessKey | None:
        now = time.monotonic()
        entry = self._entries.get(access_key)
        if entry is not None and entry[1] > now:
            return entry[0]
        key = await self._source.lookup_key(access_key)
        if key is None:
            self._entries.pop(access_key, None)
        elif self._ttl > 0:
            if len(self._entries) >= self._entries_max:
                self._entries.clear()
            self._entries[access_key] = (key, now + self._ttl)
        return key
