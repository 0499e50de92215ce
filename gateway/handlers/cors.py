"""PutBucketCors, GetBucketCors, DeleteBucketCors; the CORS preflight (``OPTIONS``, never
signed); and the ``Access-Control-*`` headers a matching rule adds to real requests that carry an
``Origin`` header (errors included, as S3 does). Rules live in ``gateway/cors.py``."""

from __future__ import annotations

import logging

from objectio.common import logs
from objectio.gateway import cors, errors
from objectio.gateway.backend import Backend, BackendError
from objectio.gateway.context import Context
from objectio.gateway.handlers.config_doc import read_document
from objectio.gateway.http import Response, xml_response
from objectio.gateway.request import S3Op, S3Request

log = logging.getLogger("objectio.gateway")

NOT_ALLOWED = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evaluation of Origin, "
    "request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted "
    "by the resource's CORS spec."
)


async def put_bucket_cors(ctx: Context) -> Response:
    await ctx.authorize_bucket()
    rules = cors.parse_configuration(await read_document(ctx))
    await ctx.backend.put_bucket_setting(ctx.req.bucket, cors.SETTING, cors.encode(rules))
    return Response(200)


async def get_bucket_cors(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()  # read from meta, not the cache: read-after-write
    stored = bucket.settings.get(cors.SETTING)
    if stored is None:
        raise errors.NoSuchCORSConfiguration(fields={"BucketName": ctx.req.bucket})
    return xml_response(cors.render(cors.decode(stored)))


async def delete_bucket_cors(ctx: Context) -> Response:
    await ctx.authorize_bucket()
    await ctx.backend.put_bucket_setting(ctx.req.bucket, cors.SETTING, None)
    return Response(204)


async def preflight(ctx: Context) -> Response:
    """``OPTIONS`` on a bucket or object: 200 with the matching rule's headers, else 403."""
    headers = ctx.req.headers
    origin = headers.get("origin")
    if not origin:
        raise errors.BadRequest("Insufficient information. Origin request header needed.")
    method = headers.get("access-control-request-method", "")
    if method not in cors.METHODS:
        raise errors.BadRequest(f"Invalid Access-Control-Request-Method: {method or 'null'}")
    bucket = await ctx.backend.head_bucket(ctx.req.bucket)
    resource_type = "OBJECT" if ctx.req.key else "BUCKET"
    fields = {"Method": method, "ResourceType": resource_type}
    stored = bucket.settings.get(cors.SETTING)
    if stored is None:
        raise errors.AccessForbidden("CORSResponse: CORS is not enabled for this bucket.", fields=fields)
    requested = cors.request_headers(headers.get("access-control-request-headers"))
    rule = cors.find_rule(cors.decode(stored), origin, method, requested)
    if rule is None:
        raise errors.AccessForbidden(NOT_ALLOWED, fields=fields)
    return Response(200, cors.response_headers(rule, origin, preflight_headers=requested))


async def actual_request_headers(backend: Backend, req: S3Request) -> list[tuple[str, str]]:
    """The headers the bucket's CORS rules add to the response of a real request with an Origin
    (never raises: a request is answered the same whether or not this lookup works)."""
    origin = req.headers.get("origin")
    if not origin or not req.bucket or req.op is S3Op.CORS_PREFLIGHT:
        return []
    try:
        stored = (await backend.head_bucket(req.bucket)).settings.get(cors.SETTING)
        rule = cors.find_rule(cors.decode(stored), origin, req.method) if stored else None
    except BackendError:
        return []
    except (ValueError, KeyError, TypeError):
        log.exception("unreadable CORS setting", extra=logs.log_fields(bucket=req.bucket))
        return []
    return cors.response_headers(rule, origin) if rule else []
