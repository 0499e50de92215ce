"""GetObject and HeadObject: conditionals, ranges (or one part: ``partNumber``), stored headers
and response overrides."""

from __future__ import annotations

from objectio.gateway import checksums, conditionals, errors, ranges, tagging, versioning
from objectio.gateway.backend import BucketInfo, ObjectInfo
from objectio.gateway.context import Context
from objectio.gateway.handlers.multipart import PART_NUMBER_MAX
from objectio.gateway.http import Response, http_date, quote_etag

# GET query parameters that override a response header (S3 "response-*" overrides).
OVERRIDES = {
    "response-content-type": "content-type",
    "response-content-language": "content-language",
    "response-expires": "expires",
    "response-cache-control": "cache-control",
    "response-content-disposition": "content-disposition",
    "response-content-encoding": "content-encoding",
}


def object_headers(info: ObjectInfo, *, with_checksums: bool) -> dict[str, str]:
    headers = {
        "etag": quote_etag(info.etag),
        "last-modified": http_date(info.last_modified),
        "content-type": info.content_type,
        "accept-ranges": "bytes",
    }
    for name, value in info.headers.items():
        if not name.startswith(checksums.HEADER_PREFIX) or with_checksums:
            headers[name] = value
    for name, value in info.user_meta.items():
        headers[f"x-amz-meta-{name}"] = value
    return headers


PARTS_COUNT_HEADER = "x-amz-mp-parts-count"


def part_range(query: dict[str, str], headers: dict[str, str], info: ObjectInfo) -> tuple[int, int] | None:
    """The bytes of ``?partNumber=N``: part N of a multipart object; part 1 of any other object is
    all of it (None: the whole object, as a plain GET). InvalidPart beyond the last part."""
    text = query["partNumber"]
    if not text.isdigit() or not 1 <= int(text) <= PART_NUMBER_MAX:
        raise errors.InvalidArgument(
            f"Part number must be an integer between 1 and {PART_NUMBER_MAX}, inclusive",
            fields={"ArgumentName": "partNumber", "ArgumentValue": text},
        )
    if "range" in headers:
        raise errors.InvalidRequest("Cannot specify both Range header and partNumber query parameter")
    number = int(text)
    if not info.part_sizes:
        if number != 1:
            raise errors.InvalidPart(f"The object has one part; part {number} does not exist.")
        return None
    if number > len(info.part_sizes):
        raise errors.InvalidPart(f"The object has {len(info.part_sizes)} parts; part {number} does not exist.")
    first = sum(info.part_sizes[: number - 1])
    size = info.part_sizes[number - 1]
    if size == 0:
        raise errors.InvalidPart(f"Part {number} is empty.")
    return first, first + size - 1


def _byte_range(ctx: Context, info: ObjectInfo) -> tuple[int, int] | None:
    if "partNumber" in ctx.req.query:
        return part_range(ctx.req.query, ctx.req.headers, info)
    return ranges.parse_range(ctx.req.headers.get("range"), info.size)


def _response(ctx: Context, info: ObjectInfo, byte_range: tuple[int, int] | None, bucket: BucketInfo) -> Response:
    checksum_mode = ctx.req.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED"
    headers = object_headers(info, with_checksums=checksum_mode and byte_range is None)
    headers.update(versioning.version_headers(info, bucket, ctx.req.query.get("versionId")))
    if info.tags:
        headers[tagging.COUNT_HEADER] = str(len(info.tags))
    if ctx.req.method == "GET":
        for param, header in OVERRIDES.items():
            if param in ctx.req.query:
                headers[header] = ctx.req.query[param]
    response = Response(200, list(headers.items()), content_length=info.size)
    if byte_range is not None:
        first, last = byte_range
        response.status = 206
        response.content_length = last - first + 1
        response.header("content-range", ranges.content_range(first, last, info.size))
    if "partNumber" in ctx.req.query and info.part_sizes:
        response.header(PARTS_COUNT_HEADER, str(len(info.part_sizes)))
    return response


async def head_object(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()
    version_id = versioning.version_param(ctx.req.query)
    info = await ctx.backend.head_object(ctx.req.bucket, ctx.req.key, version_id)
    conditionals.check_preconditions(ctx.req.headers, info)
    return _response(ctx, info, _byte_range(ctx, info), bucket)


async def get_object(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()
    version_id = versioning.version_param(ctx.req.query)
    headers = ctx.req.headers
    byte_range = None
    if "range" in headers or "partNumber" in ctx.req.query or conditionals.has_preconditions(headers):
        # The size (for the range) and the validators must be known before the body is opened.
        head = await ctx.backend.head_object(ctx.req.bucket, ctx.req.key, version_id)
        conditionals.check_preconditions(headers, head)
        byte_range = _byte_range(ctx, head)
    info, stream = await ctx.backend.get_object(ctx.req.bucket, ctx.req.key, byte_range, version_id)
    response = _response(ctx, info, byte_range, bucket)
    response.stream = stream
    return response
