"""PutBucketVersioning, GetBucketVersioning and ListObjectVersions.

The state is the bucket setting ``versioning`` (``gateway/versioning.py``); meta reads it in
the transaction of every put and delete. Listings always ask the backend (not the cached bucket
state): a bucket that was never versioned lists each object once, as its null version.
"""

from __future__ import annotations

from typing import cast

from objectio.gateway import errors, versioning
from objectio.gateway.backend import ListResult, ObjectInfo, VersioningBackend, VersionListing
from objectio.gateway.context import Context
from objectio.gateway.handlers.bucket import owner_xml
from objectio.gateway.handlers.list import ListParams, enc, list_params
from objectio.gateway.http import XML_NS, Response, iso8601, quote_etag, xml_response
from objectio.gateway.xmlio import el
from objectio.meta.versions import VERSIONING_SETTING


def versioning_backend(ctx: Context) -> VersioningBackend:
    if not hasattr(ctx.backend, "list_object_versions"):
        raise errors.NotImplemented("Versioning is not supported by this storage backend.")
    return cast(VersioningBackend, ctx.backend)


async def get_bucket_versioning(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()
    state = versioning.state(bucket)
    status = el("Status", state.decode()) if state is not None else ""
    return xml_response(f'<VersioningConfiguration xmlns="{XML_NS}">{status}</VersioningConfiguration>')


async def put_bucket_versioning(ctx: Context) -> Response:
    await ctx.authorize_bucket()
    versioning_backend(ctx)
    state = versioning.parse_configuration(await ctx.body.read_all(ctx.config.xml_body_bytes_max))
    await ctx.backend.put_bucket_setting(ctx.req.bucket, VERSIONING_SETTING, state)
    return Response(200)


def _entry(info: ObjectInfo, params: ListParams, owner: str) -> str:
    common = (
        f"{el('Key', enc(info.key, params))}{el('VersionId', info.version_id or 'null')}"
        f"{el('IsLatest', info.is_latest)}{el('LastModified', iso8601(info.last_modified))}"
    )
    if info.delete_marker:
        return f"<DeleteMarker>{common}{owner_xml(owner)}</DeleteMarker>"
    return (
        f"<Version>{common}{el('ETag', quote_etag(info.etag))}{el('Size', info.size)}"
        f"{owner_xml(owner)}<StorageClass>STANDARD</StorageClass></Version>"
    )


async def _unversioned(ctx: Context, params: ListParams, key_marker: str) -> VersionListing:
    """A never-versioned bucket: each object is its only (null) version."""
    result: ListResult = await ctx.backend.list_objects(
        ctx.req.bucket, prefix=params.prefix, delimiter=params.delimiter, start_after=key_marker,
        max_keys=params.max_keys,
    )  # fmt: skip
    marker = result.next_marker if result.is_truncated else None
    versions = [ObjectInfo(ctx.req.bucket, e.key, e.size, e.etag, e.last_modified) for e in result.objects]
    return VersionListing(versions, result.common_prefixes, result.is_truncated, marker, "null" if marker else None)


async def list_object_versions(ctx: Context) -> Response:
    query = ctx.req.query
    params = list_params(query, ctx.config.list_keys_max)
    key_marker = query.get("key-marker", "")
    version_marker = versioning.version_param(query, "version-id-marker") or ""
    if version_marker and not key_marker:
        raise errors.InvalidArgument(
            "A version-id marker cannot be specified without a key marker.",
            fields={"ArgumentName": "version-id-marker", "ArgumentValue": version_marker},
        )
    bucket = await ctx.authorize_bucket()
    if params.max_keys == 0:
        listing = VersionListing([], [], False)
    elif not hasattr(ctx.backend, "list_object_versions"):  # every bucket there is never versioned
        listing = await _unversioned(ctx, params, key_marker)
    else:
        listing = await versioning_backend(ctx).list_object_versions(
            ctx.req.bucket, prefix=params.prefix, delimiter=params.delimiter, key_marker=key_marker,
            version_id_marker=version_marker, max_keys=params.max_keys,
        )  # fmt: skip
    entries = "".join(_entry(v, params, bucket.owner) for v in listing.versions)
    prefixes = "".join(
        f"<CommonPrefixes>{el('Prefix', enc(p, params))}</CommonPrefixes>" for p in listing.common_prefixes
    )
    next_key = listing.next_key_marker if listing.is_truncated else None
    return xml_response(
        f'<ListVersionsResult xmlns="{XML_NS}">{el("Name", ctx.req.bucket)}{el("Prefix", enc(params.prefix, params))}'
        f"{el('KeyMarker', enc(key_marker, params))}{el('VersionIdMarker', version_marker)}"
        f"{el('NextKeyMarker', enc(next_key, params) if next_key else None)}"
        f"{el('NextVersionIdMarker', listing.next_version_id_marker if next_key else None)}"
        f"{el('MaxKeys', params.max_keys)}"
        f"{el('Delimiter', enc(params.delimiter, params) if params.delimiter else None)}"
        f"{el('EncodingType', 'url' if params.url_encode else None)}"
        f"{el('IsTruncated', listing.is_truncated)}{entries}{prefixes}</ListVersionsResult>"
    )
