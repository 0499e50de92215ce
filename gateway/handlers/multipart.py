"""Multipart uploads: create, upload part (and part copy), complete, abort, list parts and uploads.

Served only when the backend implements :class:`~objectio.gateway.backend.MultipartBackend`;
otherwise every multipart operation is NotImplemented. The gateway checks what is protocol
(part numbers, part order, XML); the backend checks what needs the stored parts (ETags, sizes).
"""

from __future__ import annotations

import itertools
from typing import cast

from objectio.gateway import checksums, errors, tagging, versioning
from objectio.gateway.access.writes import object_acl
from objectio.gateway.backend import MultipartBackend, MultipartUpload, PartRequest, UploadListing
from objectio.gateway.context import Context
from objectio.gateway.handlers.bucket import owner_xml
from objectio.gateway.handlers.copy import check_copy_conditions, head_source, parse_copy_source, source_headers
from objectio.gateway.handlers.put import DEFAULT_CONTENT_TYPE, stored_headers, user_metadata
from objectio.gateway.http import XML_NS, Response, iso8601, quote_etag, xml_response
from objectio.gateway.ranges import parse_range
from objectio.gateway.request import check_storage_class
from objectio.gateway.xmlio import el, parse_xml, text_of

PART_NUMBER_MAX = 10000  # AWS
LIST_PARTS_MAX = 1000
COPY_RANGE_HEADER = "x-amz-copy-source-range"


def multipart_backend(ctx: Context) -> MultipartBackend:
    if not hasattr(ctx.backend, "upload_part"):
        raise errors.NotImplemented("Multipart uploads are not supported by this storage backend.")
    return cast(MultipartBackend, ctx.backend)


def part_number(query: dict[str, str]) -> int:
    text = query.get("partNumber", "")
    if not text.isdigit() or not 1 <= int(text) <= PART_NUMBER_MAX:
        raise errors.InvalidArgument(
            f"Part number must be an integer between 1 and {PART_NUMBER_MAX}, inclusive",
            fields={"ArgumentName": "partNumber", "ArgumentValue": text},
        )
    return int(text)


def _int_param(query: dict[str, str], name: str, default: int, limit: int) -> int:
    text = query.get(name, str(default))
    if not text.isdigit():
        raise errors.InvalidArgument(f"{name} must be a non-negative integer", fields={"ArgumentName": name})
    return min(int(text), limit)


async def create_multipart_upload(ctx: Context) -> Response:
    backend = multipart_backend(ctx)
    bucket = await ctx.authorize_bucket()
    headers = ctx.req.headers
    check_storage_class(headers)
    owner, acl = object_acl(headers, ctx.identity.user, bucket)
    upload = await backend.create_multipart_upload(
        ctx.req.bucket,
        ctx.req.key,
        ctx.identity.user,
        content_type=headers.get("content-type") or DEFAULT_CONTENT_TYPE,
        user_meta=user_metadata(headers),
        headers=stored_headers(headers),
        tags=tagging.parse_header(headers[tagging.TAGGING_HEADER]) if tagging.TAGGING_HEADER in headers else None,
        object_owner=owner,
        acl=acl,
    )
    return xml_response(
        f'<InitiateMultipartUploadResult xmlns="{XML_NS}">{el("Bucket", upload.bucket)}{el("Key", upload.key)}'
        f"{el('UploadId', upload.upload_id)}</InitiateMultipartUploadResult>"
    )


async def upload_part(ctx: Context) -> Response:
    backend = multipart_backend(ctx)
    number = part_number(ctx.req.query)
    await ctx.authorize_bucket()
    length = ctx.body.require_length(ctx.config.object_bytes_max)
    md5 = ctx.req.headers.get("content-md5")
    part_headers: dict[str, str] = {}
    ctx.body.checksum_headers = part_headers
    part = await backend.upload_part(
        PartRequest(
            bucket=ctx.req.bucket,
            key=ctx.req.key,
            upload_id=ctx.req.query["uploadId"],
            part_number=number,
            body=ctx.body.chunks(length),
            content_length=length,
            expected_md5=checksums.decode_content_md5(md5) if md5 is not None else None,
            headers=part_headers,
        )
    )
    return Response(200, [("etag", quote_etag(part.etag)), *part_headers.items()])


async def upload_part_copy(ctx: Context) -> Response:
    backend = multipart_backend(ctx)
    number = part_number(ctx.req.query)
    src_bucket, src_key, src_version = parse_copy_source(ctx.req.headers["x-amz-copy-source"])
    await ctx.authorize_bucket()
    await ctx.authorize_other_bucket(src_bucket, src_key)
    source = await head_source(ctx.backend, src_bucket, src_key, src_version)
    check_copy_conditions(ctx.req.headers, source)
    byte_range = None
    if COPY_RANGE_HEADER in ctx.req.headers:
        byte_range = parse_range(ctx.req.headers[COPY_RANGE_HEADER], source.size)
        if byte_range is None:
            raise errors.InvalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last.")
    size = source.size if byte_range is None else byte_range[1] - byte_range[0] + 1
    if size > ctx.config.object_bytes_max:
        raise errors.EntityTooLarge()
    _, stream = await ctx.backend.get_object(src_bucket, src_key, byte_range, src_version)
    part = await backend.upload_part(
        PartRequest(ctx.req.bucket, ctx.req.key, ctx.req.query["uploadId"], number, stream, size)
    )
    response = xml_response(
        f'<CopyPartResult xmlns="{XML_NS}">{el("LastModified", iso8601(part.last_modified))}'
        f"{el('ETag', quote_etag(part.etag))}</CopyPartResult>"
    )
    response.headers.extend(source_headers(source, src_version))
    return response


def parse_complete(body: bytes) -> list[tuple[int, str]]:
    root = parse_xml(body, "CompleteMultipartUpload")
    parts: list[tuple[int, str]] = []
    for element in root.findall("Part"):
        number, etag = text_of(element, "PartNumber"), text_of(element, "ETag")
        if number is None or etag is None or not number.strip().isdigit():
            raise errors.MalformedXML()
        parts.append((int(number), etag.strip().strip('"')))
    if not parts:
        raise errors.MalformedXML()
    numbers = [n for n, _ in parts]
    if any(not 1 <= n <= PART_NUMBER_MAX for n in numbers):
        raise errors.InvalidArgument(f"Part numbers must be between 1 and {PART_NUMBER_MAX}.")
    if any(a >= b for a, b in itertools.pairwise(numbers)):
        raise errors.InvalidPartOrder()
    return parts


async def complete_multipart_upload(ctx: Context) -> Response:
    backend = multipart_backend(ctx)
    bucket = await ctx.authorize_bucket()
    parts = parse_complete(await ctx.body.read_all(ctx.config.xml_body_bytes_max))
    info = await backend.complete_multipart_upload(ctx.req.bucket, ctx.req.key, ctx.req.query["uploadId"], parts)
    location = f"/{ctx.req.bucket}/{ctx.req.key}"
    response = xml_response(
        f'<CompleteMultipartUploadResult xmlns="{XML_NS}">{el("Location", location)}{el("Bucket", info.bucket)}'
        f"{el('Key', info.key)}{el('ETag', quote_etag(info.etag))}</CompleteMultipartUploadResult>"
    )
    response.headers.extend(versioning.version_headers(info, bucket))
    return response


async def abort_multipart_upload(ctx: Context) -> Response:
    backend = multipart_backend(ctx)
    await ctx.authorize_bucket()
    await backend.abort_multipart_upload(ctx.req.bucket, ctx.req.key, ctx.req.query["uploadId"])
    return Response(204)


async def list_parts(ctx: Context) -> Response:
    backend = multipart_backend(ctx)
    bucket = await ctx.authorize_bucket()
    query = ctx.req.query
    marker = _int_param(query, "part-number-marker", 0, PART_NUMBER_MAX)
    max_parts = _int_param(query, "max-parts", LIST_PARTS_MAX, LIST_PARTS_MAX)
    upload_id = query["uploadId"]
    listing = await backend.list_parts(
        ctx.req.bucket, ctx.req.key, upload_id, part_number_marker=marker, max_parts=max_parts
    )
    next_marker = listing.parts[-1].part_number if listing.parts else marker
    parts = "".join(
        f"<Part>{el('PartNumber', p.part_number)}{el('LastModified', iso8601(p.last_modified))}"
        f"{el('ETag', quote_etag(p.etag))}{el('Size', p.size)}</Part>"
        for p in listing.parts
    )
    initiator = owner_xml(bucket.owner).replace("Owner>", "Initiator>")
    return xml_response(
        f'<ListPartsResult xmlns="{XML_NS}">{el("Bucket", ctx.req.bucket)}{el("Key", ctx.req.key)}'
        f"{el('UploadId', upload_id)}{initiator}{owner_xml(bucket.owner)}<StorageClass>STANDARD</StorageClass>"
        f"{el('PartNumberMarker', marker)}{el('NextPartNumberMarker', next_marker)}{el('MaxParts', max_parts)}"
        f"{el('IsTruncated', listing.is_truncated)}{parts}</ListPartsResult>"
    )


def _upload_xml(upload: MultipartUpload) -> str:
    return (
        f"<Upload>{el('Key', upload.key)}{el('UploadId', upload.upload_id)}"
        f"{owner_xml(upload.owner).replace('Owner>', 'Initiator>')}{owner_xml(upload.owner)}"
        f"<StorageClass>STANDARD</StorageClass>{el('Initiated', iso8601(upload.initiated))}</Upload>"
    )


async def list_multipart_uploads(ctx: Context) -> Response:
    backend = multipart_backend(ctx)
    await ctx.authorize_bucket()
    query = ctx.req.query
    prefix, delimiter, key_marker, id_marker = (
        query.get("prefix", ""),
        query.get("delimiter", ""),
        query.get("key-marker", ""),
        query.get("upload-id-marker", ""),
    )
    max_uploads = _int_param(query, "max-uploads", ctx.config.list_keys_max, ctx.config.list_keys_max)
    listing = await backend.list_multipart_uploads(
        ctx.req.bucket,
        prefix=prefix,
        delimiter=delimiter,
        key_marker=key_marker,
        upload_id_marker=id_marker,
        max_uploads=max_uploads,
    )
    next_key, next_id = _next_upload_markers(listing)
    prefixes = "".join(f"<CommonPrefixes>{el('Prefix', p)}</CommonPrefixes>" for p in listing.common_prefixes)
    return xml_response(
        f'<ListMultipartUploadsResult xmlns="{XML_NS}">{el("Bucket", ctx.req.bucket)}'
        f"{el('KeyMarker', key_marker)}{el('UploadIdMarker', id_marker)}"
        f"{el('NextKeyMarker', next_key)}{el('NextUploadIdMarker', next_id)}"
        f"{el('Delimiter', delimiter or None)}"
        f"{el('Prefix', prefix)}{el('MaxUploads', max_uploads)}{el('IsTruncated', listing.is_truncated)}"
        f"{''.join(_upload_xml(u) for u in listing.uploads)}{prefixes}</ListMultipartUploadsResult>"
    )


def _next_upload_markers(listing: UploadListing) -> tuple[str | None, str | None]:
    """Where a truncated listing resumes: the backend's markers, else after the last upload."""
    if not listing.is_truncated:
        return None, None
    if listing.next_key_marker is not None:
        return listing.next_key_marker, listing.next_upload_id_marker
    last = listing.uploads[-1] if listing.uploads else None
    return (last.key, last.upload_id) if last else (None, None)
