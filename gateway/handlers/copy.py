"""CopyObject: a server-side copy streamed from the backend's reader into its writer, from the
latest version of the source or the one its ``?versionId=`` names."""

from __future__ import annotations

from urllib.parse import unquote

from objectio.gateway import errors, tagging, versioning
from objectio.gateway.access.writes import object_acl
from objectio.gateway.backend import Backend, DeleteMarker, ObjectInfo, PutRequest
from objectio.gateway.conditionals import etag_matches
from objectio.gateway.context import Context
from objectio.gateway.handlers.put import DEFAULT_CONTENT_TYPE, stored_headers, user_metadata
from objectio.gateway.http import XML_NS, Response, iso8601, parse_http_date, quote_etag, xml_response
from objectio.gateway.request import check_storage_class, validate_bucket_name, validate_key
from objectio.gateway.xmlio import el

SOURCE_HEADER = "x-amz-copy-source"
DIRECTIVES = ("COPY", "REPLACE")


def parse_copy_source(value: str) -> tuple[str, str, str | None]:
    """``/bucket/key`` or ``bucket/key`` (URL-encoded), optionally ``?versionId=<id>``."""
    path, _, query = value.partition("?")
    version_id = None
    if query:
        name, _, version = query.partition("=")
        if name != "versionId":
            raise errors.InvalidArgument("Unsupported copy source parameter.",
                                         fields={"ArgumentName": SOURCE_HEADER, "ArgumentValue": value})  # fmt: skip
        version_id = versioning.version_param({"versionId": unquote(version)})
    bucket, _, key = unquote(path).lstrip("/").partition("/")
    if not bucket or not key:
        raise errors.InvalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
                                     fields={"ArgumentName": SOURCE_HEADER, "ArgumentValue": value})  # fmt: skip
    validate_bucket_name(bucket)
    validate_key(key)
    return bucket, key, version_id


async def head_source(backend: Backend, bucket: str, key: str, version_id: str | None) -> ObjectInfo:
    """The copy source; a delete marker named by its version id cannot be one (400)."""
    try:
        return await backend.head_object(bucket, key, version_id)
    except DeleteMarker as exc:
        if not exc.by_version:
            raise
        raise errors.InvalidRequest(
            "The source of a copy request may not specifically refer to a delete marker by version id."
        ) from exc


def source_headers(source: ObjectInfo, requested: str | None) -> list[tuple[str, str]]:
    shown = source.version_id or requested
    return [("x-amz-copy-source-version-id", shown)] if shown else []


def copied_tags(headers: dict[str, str], source: ObjectInfo) -> dict[str, str]:
    """x-amz-tagging-directive: COPY (default) keeps the source's tags, REPLACE takes x-amz-tagging."""
    directive = headers.get("x-amz-tagging-directive", "COPY").upper()
    if directive not in DIRECTIVES:
        raise errors.InvalidArgument("Unknown tagging directive.", fields={"ArgumentName": "x-amz-tagging-directive"})
    if directive == "COPY":
        return dict(source.tags)
    return tagging.parse_header(headers.get(tagging.TAGGING_HEADER, ""))


def check_copy_conditions(headers: dict[str, str], source: ObjectInfo) -> None:
    """x-amz-copy-source-if-*: every failure is 412 for a copy (S3 never answers 304 here)."""
    prefix = "x-amz-copy-source-"
    if_match = headers.get(prefix + "if-match")
    if if_match is not None and not etag_matches(if_match, source.etag):
        raise errors.PreconditionFailed(fields={"Condition": "x-amz-copy-source-If-Match"})
    if_none_match = headers.get(prefix + "if-none-match")
    if if_none_match is not None and etag_matches(if_none_match, source.etag):
        raise errors.PreconditionFailed(fields={"Condition": "x-amz-copy-source-If-None-Match"})
    modified = int(source.last_modified)
    unmodified_since = parse_http_date(headers.get(prefix + "if-unmodified-since", ""))
    if if_match is None and unmodified_since is not None and modified > unmodified_since:
        raise errors.PreconditionFailed(fields={"Condition": "x-amz-copy-source-If-Unmodified-Since"})
    modified_since = parse_http_date(headers.get(prefix + "if-modified-since", ""))
    if if_none_match is None and modified_since is not None and modified <= modified_since:
        raise errors.PreconditionFailed(fields={"Condition": "x-amz-copy-source-If-Modified-Since"})


async def copy_object(ctx: Context) -> Response:
    headers = ctx.req.headers
    src_bucket, src_key, src_version = parse_copy_source(headers[SOURCE_HEADER])
    check_storage_class(headers)
    directive = headers.get("x-amz-metadata-directive", "COPY").upper()
    if directive not in DIRECTIVES:
        raise errors.InvalidArgument("Unknown metadata directive.", fields={"ArgumentName": "x-amz-metadata-directive"})
    same = (src_bucket, src_key) == (ctx.req.bucket, ctx.req.key) and src_version is None
    if same and directive == "COPY" and "x-amz-tagging-directive" not in headers:
        raise errors.InvalidRequest(
            "This copy request is illegal because it is trying to copy an object to itself without changing the "
            "object's metadata, storage class, website redirect location or encryption attributes."
        )
    bucket = await ctx.authorize_bucket()
    await ctx.authorize_other_bucket(src_bucket, src_key)
    owner, acl = object_acl(headers, ctx.identity.user, bucket)
    source = await head_source(ctx.backend, src_bucket, src_key, src_version)
    check_copy_conditions(headers, source)
    tags = copied_tags(headers, source)
    if source.size > ctx.config.object_bytes_max:
        raise errors.InvalidRequest("The specified copy source is larger than the maximum allowable size for a copy.")
    info, stream = await ctx.backend.get_object(src_bucket, src_key, None, src_version)
    if info.etag != source.etag:
        raise errors.PreconditionFailed("The source object changed during the copy; retry it.")
    if directive == "COPY":
        content_type, user_meta, stored = info.content_type, dict(info.user_meta), dict(info.headers)
    else:
        content_type = headers.get("content-type") or DEFAULT_CONTENT_TYPE
        user_meta, stored = user_metadata(headers), stored_headers(headers)
        stored.update({k: v for k, v in info.headers.items() if k.startswith("x-amz-checksum-")})
    request = PutRequest(
        bucket=ctx.req.bucket,
        key=ctx.req.key,
        body=stream,
        content_length=info.size,
        content_type=content_type,
        user_meta=user_meta,
        headers=stored,
        tags=tags,
        owner=owner,
        acl=acl,
    )
    copied = await ctx.backend.put_object(request)
    response = xml_response(
        f'<CopyObjectResult xmlns="{XML_NS}">{el("LastModified", iso8601(copied.last_modified))}'
        f"{el('ETag', quote_etag(copied.etag))}</CopyObjectResult>"
    )
    response.headers.extend(source_headers(source, src_version))
    response.headers.extend(versioning.version_headers(copied, bucket))
    return response
