"""What a handler receives: the parsed request, who sent it, the body, and the services.

Bucket records and access keys are cached by the backend (``datapath.bucket_cache_seconds``,
``datapath.access_key_cache_seconds``), not here, so there is one staleness bound, not two.
"""

from __future__ import annotations

from dataclasses import dataclass

from objectio.gateway import errors
from objectio.gateway.auth.verify import Identity
from objectio.gateway.backend import Backend, BucketInfo
from objectio.gateway.body import RequestBody
from objectio.gateway.config import GatewayConfig
from objectio.gateway.request import S3Request


@dataclass(slots=True)
class Context:
    req: S3Request
    identity: Identity
    body: RequestBody
    backend: Backend
    config: GatewayConfig

    async def authorize_bucket(self) -> BucketInfo:
        """The request's bucket, if it exists and the caller owns it (buckets are private)."""
        info = await self.backend.head_bucket(self.req.bucket)
        if info.owner != self.identity.user and not self.identity.key.is_admin:
            raise errors.AccessDenied()
        expected_owner = self.req.headers.get("x-amz-expected-bucket-owner")
        if expected_owner is not None and expected_owner != info.owner:
            raise errors.AccessDenied()
        return info

    async def authorize_other_bucket(self, name: str) -> BucketInfo:
        """Another bucket the request reads (a copy source): the caller must own it too."""
        info = await self.backend.head_bucket(name)
        if info.owner != self.identity.user and not self.identity.key.is_admin:
            raise errors.AccessDenied()
        expected_owner = self.req.headers.get("x-amz-source-expected-bucket-owner")
        if expected_owner is not None and expected_owner != info.owner:
            raise errors.AccessDenied()
        return info
