"""DeleteObject and DeleteObjects (multi-object delete), of the latest version (a versioned bucket
gains a delete marker) or of one version (``versionId``: removed for good)."""

from __future__ import annotations

import asyncio
import hashlib

from objectio.gateway import checksums, errors, versioning
from objectio.gateway.backend import BackendError, DeleteResult
from objectio.gateway.context import Context
from objectio.gateway.http import XML_NS, Response, xml_response
from objectio.gateway.request import validate_key
from objectio.gateway.xmlio import el, parse_xml, text_of

DELETE_KEYS_MAX = 1000  # AWS limit per DeleteObjects request
DELETE_CONCURRENCY = 32  # backend deletes in flight for one DeleteObjects request


async def delete_object(ctx: Context) -> Response:
    await ctx.authorize_bucket()
    version_id = versioning.version_param(ctx.req.query)
    result = await ctx.backend.delete_object(ctx.req.bucket, ctx.req.key, version_id)
    response = Response(204)
    if result.version_id is not None:
        response.header(versioning.VERSION_HEADER, result.version_id)
    if result.delete_marker:
        response.header("x-amz-delete-marker", "true")
    return response


def parse_delete(body: bytes) -> tuple[list[tuple[str, str | None]], bool]:
    """The (key, version id or None) entries of a DeleteObjects body, and Quiet."""
    root = parse_xml(body, "Delete")
    quiet = (text_of(root, "Quiet") or "false").strip().lower() == "true"
    entries = []
    for obj in root.findall("Object"):
        key = text_of(obj, "Key")
        if key is None:
            raise errors.MalformedXML()
        entries.append((key, text_of(obj, "VersionId")))
    if not entries or len(entries) > DELETE_KEYS_MAX:
        raise errors.MalformedXML()
    return entries, quiet


def _deleted_xml(key: str, version_id: str | None, result: DeleteResult) -> str:
    marker = ""
    if result.delete_marker:
        marker = f"<DeleteMarker>true</DeleteMarker>{el('DeleteMarkerVersionId', result.version_id)}"
    return f"<Deleted>{el('Key', key)}{el('VersionId', version_id)}{marker}</Deleted>"


async def _delete_one(ctx: Context, key: str, version_id: str | None, gate: asyncio.Semaphore) -> tuple[bool, str]:
    """(True, the <Deleted> entry) on success, else (False, the <Error> entry for this key)."""
    try:
        validate_key(key)
        if version_id is not None:
            versioning.version_param({"versionId": version_id})
        await ctx.authorize_key(key)
        async with gate:
            result = await ctx.backend.delete_object(ctx.req.bucket, key, version_id)
    except errors.S3Error as exc:
        error = exc
    except BackendError as exc:
        error = errors.from_backend(exc)
        if isinstance(error, errors.NoSuchBucket):
            raise error from exc
    else:
        return True, _deleted_xml(key, version_id, result)
    return (
        False,
        f"<Error>{el('Key', key)}{el('VersionId', version_id)}{el('Code', error.code)}"
        f"{el('Message', error.message)}</Error>",
    )


async def delete_objects(ctx: Context) -> Response:
    headers = ctx.req.headers
    has_checksum = any(h.startswith(checksums.HEADER_PREFIX) for h in headers) or "x-amz-trailer" in headers
    if "content-md5" not in headers and not has_checksum:
        raise errors.InvalidRequest("Missing required header for this request: Content-MD5")
    await ctx.authorize_bucket()
    body = await ctx.body.read_all(ctx.config.xml_body_bytes_max)
    if "content-md5" in headers and hashlib.md5(body).digest() != checksums.decode_content_md5(headers["content-md5"]):
        raise errors.BadDigest()
    entries, quiet = parse_delete(body)
    gate = asyncio.Semaphore(DELETE_CONCURRENCY)
    results = await asyncio.gather(*(_delete_one(ctx, key, version_id, gate) for key, version_id in entries))
    parts = [xml for deleted, xml in results if not (deleted and quiet)]
    return xml_response(f'<DeleteResult xmlns="{XML_NS}">{"".join(parts)}</DeleteResult>')
