"""DeleteObject and DeleteObjects (multi-object delete)."""

from __future__ import annotations

import asyncio
import hashlib

from objectio.gateway import checksums, errors
from objectio.gateway.backend import BackendError
from objectio.gateway.context import Context
from objectio.gateway.http import XML_NS, Response, xml_response
from objectio.gateway.request import validate_key
from objectio.gateway.xmlio import el, parse_xml, text_of

DELETE_KEYS_MAX = 1000  # AWS limit per DeleteObjects request
DELETE_CONCURRENCY = 32  # backend deletes in flight for one DeleteObjects request


async def delete_object(ctx: Context) -> Response:
    await ctx.authorize_bucket()
    await ctx.backend.delete_object(ctx.req.bucket, ctx.req.key)
    return Response(204)


def parse_delete(body: bytes) -> tuple[list[str], bool]:
    root = parse_xml(body, "Delete")
    quiet = (text_of(root, "Quiet") or "false").strip().lower() == "true"
    keys = []
    for obj in root.findall("Object"):
        key = text_of(obj, "Key")
        if key is None:
            raise errors.MalformedXML()
        keys.append(key)
    if not keys or len(keys) > DELETE_KEYS_MAX:
        raise errors.MalformedXML()
    return keys, quiet


async def _delete_one(ctx: Context, key: str, gate: asyncio.Semaphore) -> str:
    """'' on success, else the XML <Error> entry for this key."""
    try:
        validate_key(key)
        await ctx.authorize_key(key)
        async with gate:
            await ctx.backend.delete_object(ctx.req.bucket, key)
    except errors.S3Error as exc:
        return f"<Error>{el('Key', key)}{el('Code', exc.code)}{el('Message', exc.message)}</Error>"
    except BackendError as exc:
        error = errors.from_backend(exc)
        if isinstance(error, errors.NoSuchBucket):
            raise error from exc
        return f"<Error>{el('Key', key)}{el('Code', error.code)}{el('Message', error.message)}</Error>"
    return ""


async def delete_objects(ctx: Context) -> Response:
    headers = ctx.req.headers
    has_checksum = any(h.startswith(checksums.HEADER_PREFIX) for h in headers) or "x-amz-trailer" in headers
    if "content-md5" not in headers and not has_checksum:
        raise errors.InvalidRequest("Missing required header for this request: Content-MD5")
    await ctx.authorize_bucket()
    body = await ctx.body.read_all(ctx.config.xml_body_bytes_max)
    if "content-md5" in headers and hashlib.md5(body).digest() != checksums.decode_content_md5(headers["content-md5"]):
        raise errors.BadDigest()
    keys, quiet = parse_delete(body)
    gate = asyncio.Semaphore(DELETE_CONCURRENCY)
    results = await asyncio.gather(*(_delete_one(ctx, key, gate) for key in keys))
    parts = []
    for key, result in zip(keys, results, strict=True):
        if result:
            parts.append(result)
        elif not quiet:
            parts.append(f"<Deleted>{el('Key', key)}</Deleted>")
    return xml_response(f'<DeleteResult xmlns="{XML_NS}">{"".join(parts)}</DeleteResult>')
