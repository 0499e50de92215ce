"""GetObject and HeadObject: conditionals, ranges, stored headers and response overrides."""

from __future__ import annotations

from objectio.gateway import checksums, conditionals, ranges
from objectio.gateway.backend import ObjectInfo
from objectio.gateway.context import Context
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


def _response(ctx: Context, info: ObjectInfo, byte_range: tuple[int, int] | None) -> Response:
    checksum_mode = ctx.req.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED"
    headers = object_headers(info, with_checksums=checksum_mode and byte_range is None)
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
    return response


async def head_object(ctx: Context) -> Response:
    await ctx.authorize_bucket()
    info = await ctx.backend.head_object(ctx.req.bucket, ctx.req.key)
    conditionals.check_preconditions(ctx.req.headers, info)
    byte_range = ranges.parse_range(ctx.req.headers.get("range"), info.size)
    return _response(ctx, info, byte_range)


async def get_object(ctx: Context) -> Response:
    await ctx.authorize_bucket()
    headers = ctx.req.headers
    byte_range = None
    if "range" in headers or conditionals.has_preconditions(headers):
        # The size (for the range) and the validators must be known before the body is opened.
        head = await ctx.backend.head_object(ctx.req.bucket, ctx.req.key)
        conditionals.check_preconditions(headers, head)
        byte_range = ranges.parse_range(headers.get("range"), head.size)
    info, stream = await ctx.backend.get_object(ctx.req.bucket, ctx.req.key, byte_range)
    response = _response(ctx, info, byte_range)
    response.stream = stream
    return response
