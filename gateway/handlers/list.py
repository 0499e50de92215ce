"""ListObjectsV2 and ListObjects (v1)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import quote

from objectio.gateway import errors
from objectio.gateway.backend import ListEntry, ListResult
from objectio.gateway.context import Context
from objectio.gateway.handlers.bucket import owner_xml
from objectio.gateway.http import XML_NS, Response, iso8601, xml_response
from objectio.gateway.xmlio import el, xml_text

TOKEN_VERSION = "1:"  # continuation tokens are opaque to clients: base64 of version + resume-after key


def encode_token(marker: str) -> str:
    return base64.urlsafe_b64encode((TOKEN_VERSION + marker).encode()).decode()


def decode_token(token: str) -> str:
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    if not text.startswith(TOKEN_VERSION):
        raise errors.InvalidArgument(
            "The continuation token provided is incorrect", fields={"ArgumentName": "continuation-token"}
        )
    return text[len(TOKEN_VERSION) :]


@dataclass(frozen=True, slots=True)
class ListParams:
    prefix: str
    delimiter: str
    max_keys: int
    url_encode: bool


def list_params(query: dict[str, str], keys_max: int) -> ListParams:
    text = query.get("max-keys", str(keys_max))
    if not text.isdigit():
        raise errors.InvalidArgument(
            "Provided max-keys not an integer or within integer range",
            fields={"ArgumentName": "max-keys", "ArgumentValue": text},
        )
    encoding = query.get("encoding-type")
    if encoding not in (None, "url"):
        raise errors.InvalidArgument(
            "Invalid Encoding Method specified in Request", fields={"ArgumentName": "encoding-type"}
        )
    return ListParams(query.get("prefix", ""), query.get("delimiter", ""), min(int(text), keys_max), encoding == "url")


async def run_list(ctx: Context, params: ListParams, start_after: str) -> ListResult:
    await ctx.authorize_bucket()
    if params.max_keys == 0:
        return ListResult([], [], False, None)
    return await ctx.backend.list_objects(
        ctx.req.bucket,
        prefix=params.prefix,
        delimiter=params.delimiter,
        start_after=start_after,
        max_keys=params.max_keys,
    )


def bucket_owner(ctx: Context) -> str:
    """The owner listings show for every object (listing rows do not carry the object's own)."""
    return ctx.bucket.owner if ctx.bucket is not None else ctx.identity.user


def enc(value: str, params: ListParams) -> str:
    return quote(value, safe="/") if params.url_encode else value


def _contents(objects: list[ListEntry], params: ListParams, owner: str | None) -> str:
    # The hot loop of a listing (1,000 entries a page): one f-string per key, no helper calls but
    # the escaping and the cached timestamp.
    tail = f"{owner_xml(owner) if owner is not None else ''}<StorageClass>STANDARD</StorageClass></Contents>"
    keys = [quote(o.key, safe="/") for o in objects] if params.url_encode else [xml_text(o.key) for o in objects]
    return "".join(
        [
            f"<Contents><Key>{key}</Key><LastModified>{iso8601(o.last_modified)}</LastModified>"
            f'<ETag>"{xml_text(o.etag)}"</ETag><Size>{o.size}</Size>{tail}'
            for key, o in zip(keys, objects, strict=True)
        ]
    )


def common_prefixes_xml(result: ListResult, params: ListParams) -> str:
    return "".join(f"<CommonPrefixes>{el('Prefix', enc(p, params))}</CommonPrefixes>" for p in result.common_prefixes)


def _head(ctx: Context, params: ListParams) -> str:
    return (
        f"{el('Name', ctx.req.bucket)}{el('Prefix', enc(params.prefix, params))}"
        f"{el('Delimiter', enc(params.delimiter, params) if params.delimiter else None)}"
        f"{el('MaxKeys', params.max_keys)}{el('EncodingType', 'url' if params.url_encode else None)}"
    )


async def list_objects_v2(ctx: Context) -> Response:
    query = ctx.req.query
    params = list_params(query, ctx.config.list_keys_max)
    token = query.get("continuation-token")
    start_after = query.get("start-after", "")
    resume = decode_token(token) if token is not None else start_after
    result = await run_list(ctx, params, resume)
    owner = bucket_owner(ctx) if query.get("fetch-owner", "").lower() == "true" else None
    next_token = encode_token(result.next_marker) if result.is_truncated and result.next_marker else None
    key_count = len(result.objects) + len(result.common_prefixes)
    return xml_response(
        f'<ListBucketResult xmlns="{XML_NS}">{_head(ctx, params)}'
        f"{el('StartAfter', enc(start_after, params) if 'start-after' in query else None)}"
        f"{el('ContinuationToken', token)}{el('NextContinuationToken', next_token)}"
        f"{el('KeyCount', key_count)}{el('IsTruncated', result.is_truncated)}"
        f"{_contents(result.objects, params, owner)}{common_prefixes_xml(result, params)}</ListBucketResult>"
    )


async def list_objects(ctx: Context) -> Response:
    query = ctx.req.query
    params = list_params(query, ctx.config.list_keys_max)
    marker = query.get("marker", "")
    result = await run_list(ctx, params, marker)
    # As AWS: NextMarker only when a delimiter was given; otherwise clients resume at the last key.
    next_marker = result.next_marker if result.is_truncated and params.delimiter else None
    return xml_response(
        f'<ListBucketResult xmlns="{XML_NS}">{_head(ctx, params)}{el("Marker", enc(marker, params))}'
        f"{el('NextMarker', enc(next_marker, params) if next_marker else None)}"
        f"{el('IsTruncated', result.is_truncated)}"
        f"{_contents(result.objects, params, bucket_owner(ctx))}{common_prefixes_xml(result, params)}"
        "</ListBucketResult>"
    )
