"""What a handler receives: the parsed request, who sent it, the body, and the services.

Bucket records and access keys are cached by the backend (``datapath.bucket_cache_seconds``,
``datapath.access_key_cache_seconds``), not here, so there is one staleness bound, not two.
Access decisions are made by :mod:`objectio.gateway.access` (policies, ACLs, default deny).
"""

from __future__ import annotations

from dataclasses import dataclass

from objectio.gateway import errors
from objectio.gateway.access import guard
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
    client_ip: str = ""  # the peer address (aws:SourceIp)
    secure: bool = False  # the request came over TLS (aws:SecureTransport)
    bucket: BucketInfo | None = None  # set by authorize_bucket

    async def authorize_bucket(self) -> BucketInfo:
        """The request's bucket, if it exists and the caller may do the request's action on it."""
        self.bucket = await guard.authorize(self)
        return self.bucket

    async def authorize_key(self, key: str) -> None:
        """DeleteObjects: may the caller delete ``key`` of the (authorized) bucket?"""
        if self.bucket is None:
            raise errors.InternalError("authorize_key before authorize_bucket")
        await guard.require(self, "s3:DeleteObject", self.bucket, key)

    async def authorize_other_bucket(self, name: str, key: str) -> BucketInfo:
        """The bucket a copy reads from: the caller needs s3:GetObject on the source object."""
        return await guard.authorize_source(self, name, key)
