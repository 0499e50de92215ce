"""PutObject: stream the verified body to the backend."""

from __future__ import annotations

from objectio.gateway import checksums, errors, tagging, versioning
from objectio.gateway.access.writes import object_acl
from objectio.gateway.backend import PutRequest
from objectio.gateway.context import Context
from objectio.gateway.http import Response, quote_etag
from objectio.gateway.request import check_storage_class

META_PREFIX = "x-amz-meta-"
USER_META_BYTES_MAX = 2048  # AWS: user metadata (names + values) up to 2 KB
STORED_HEADERS = ("content-disposition", "content-language", "cache-control", "expires")
DEFAULT_CONTENT_TYPE = "binary/octet-stream"


def user_metadata(headers: dict[str, str]) -> dict[str, str]:
    meta = {name[len(META_PREFIX) :]: value for name, value in headers.items() if name.startswith(META_PREFIX)}
    if sum(len(k) + len(v) for k, v in meta.items()) > USER_META_BYTES_MAX:
        raise errors.MetadataTooLarge()
    return meta


def stored_headers(headers: dict[str, str]) -> dict[str, str]:
    stored = {name: headers[name] for name in STORED_HEADERS if name in headers}
    # aws-chunked is a transfer detail of this request, not an encoding of the object.
    encodings = [e.strip() for e in headers.get("content-encoding", "").split(",") if e.strip()]
    encodings = [e for e in encodings if e.lower() != "aws-chunked"]
    if encodings:
        stored["content-encoding"] = ",".join(encodings)
    return stored


def _if_none_match_star(headers: dict[str, str]) -> bool:
    value = headers.get("if-none-match")
    if value is None:
        return False
    if value.strip() != "*":
        raise errors.NotImplemented("Only If-None-Match: * is supported on PUT.")
    return True


async def put_object(ctx: Context) -> Response:
    headers = ctx.req.headers
    if "if-match" in headers:
        raise errors.NotImplemented("If-Match is not supported on PUT.")
    check_storage_class(headers)
    bucket = await ctx.authorize_bucket()
    tags = tagging.parse_header(headers[tagging.TAGGING_HEADER]) if tagging.TAGGING_HEADER in headers else {}
    owner, acl = object_acl(headers, ctx.identity.user, bucket)
    length = ctx.body.require_length(ctx.config.object_bytes_max)
    md5 = headers.get("content-md5")
    stored = stored_headers(headers)
    ctx.body.checksum_headers = stored  # verified checksums are added when the body ends
    request = PutRequest(
        bucket=ctx.req.bucket,
        key=ctx.req.key,
        body=ctx.body.chunks(length),
        content_length=length,
        content_type=headers.get("content-type") or DEFAULT_CONTENT_TYPE,
        user_meta=user_metadata(headers),
        headers=stored,
        expected_md5=checksums.decode_content_md5(md5) if md5 is not None else None,
        if_none_match_star=_if_none_match_star(headers),
        tags=tags,
        owner=owner,
        acl=acl,
    )
    info = await ctx.backend.put_object(request)
    response = Response(200, [("etag", quote_etag(info.etag)), *versioning.version_headers(info, bucket)])
    for name, value in stored.items():
        if name.startswith(checksums.HEADER_PREFIX):
            response.header(name, value)
    return response
