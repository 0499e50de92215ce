"""The body of a Put of a bucket configuration document (CORS, tagging ...): AWS requires its
integrity to be declared with Content-MD5 or an ``x-amz-checksum-*`` header or trailer."""

from __future__ import annotations

import hashlib

from objectio.gateway import checksums, errors
from objectio.gateway.context import Context


async def read_document(ctx: Context) -> bytes:
    """The whole body (at most ``xml_body_bytes_max``), its Content-MD5 or checksum verified."""
    headers = ctx.req.headers
    has_checksum = any(h.startswith(checksums.HEADER_PREFIX) for h in headers) or "x-amz-trailer" in headers
    if "content-md5" not in headers and not has_checksum:
        raise errors.InvalidRequest("Missing required header for this request: Content-MD5")
    body = await ctx.body.read_all(ctx.config.xml_body_bytes_max)  # verifies x-amz-checksum-*
    if "content-md5" in headers and hashlib.md5(body).digest() != checksums.decode_content_md5(headers["content-md5"]):
        raise errors.BadDigest()
    return body
