"""What a handler receives: the parsed request, who sent it, the body, and the services."""

from __future__ import annotations

import time
from dataclasses import dataclass

from objectio.gateway import errors
from objectio.gateway.auth.verify import Identity
from objectio.gateway.backend import Backend, BucketInfo
from objectio.gateway.body import RequestBody
from objectio.gateway.config import GatewayConfig
from objectio.gateway.request import S3Request


class BucketCache:
    """Bucket records (for the owner check) kept ``ttl_seconds``; 0 disables caching. A stale entry
    can only be as old as the TTL; deletes and creates through this gateway invalidate at once."""

    def __init__(self, backend: Backend, ttl_seconds: float, entries_max: int = 10000) -> None:
        self._backend = backend
        self._ttl = ttl_seconds
        self._entries_max = entries_max
        self._entries: dict[str, tuple[BucketInfo, float]] = {}

    async def get(self, name: str) -> BucketInfo:
        now = time.monotonic()
        entry = self._entries.get(name)
        if entry is not None and entry[1] > now:
            return entry[0]
        info = await self._backend.head_bucket(name)
        if self._ttl > 0:
            if len(self._entries) >= self._entries_max:
                self._entries.clear()
            self._entries[name] = (info, now + self._ttl)
        return info

    def invalidate(self, name: str) -> None:
        self._entries.pop(name, None)


@dataclass(slots=True)
class Context:
    req: S3Request
    identity: Identity
    body: RequestBody
    backend: Backend
    config: GatewayConfig
    buckets: BucketCache

    async def authorize_bucket(self) -> BucketInfo:
        """The request's bucket, if it exists and the caller owns it (buckets are private)."""
        info = await self.buckets.get(self.req.bucket)
        if info.owner != self.identity.user and not self.identity.key.is_admin:
            raise errors.AccessDenied()
        expected_owner = self.req.headers.get("x-amz-expected-bucket-owner")
        if expected_owner is not None and expected_owner != info.owner:
            raise errors.AccessDenied()
        return info
