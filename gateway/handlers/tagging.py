"""GetObjectTagging, PutObjectTagging and DeleteObjectTagging (optionally of one ``versionId``).

Tags live in the object's record; meta replaces a version's tag set in one transaction.
"""

from __future__ import annotations

from objectio.gateway import tagging, versioning
from objectio.gateway.context import Context
from objectio.gateway.handlers.versioning import versioning_backend
from objectio.gateway.http import Response, xml_response


def _version_headers(version_id: str | None, shown: str | None) -> list[tuple[str, str]]:
    value = version_id or shown
    return [(versioning.VERSION_HEADER, value)] if value else []


async def get_object_tagging(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()
    requested = versioning.version_param(ctx.req.query)
    info = await ctx.backend.head_object(ctx.req.bucket, ctx.req.key, requested)
    response = xml_response(tagging.document(info.tags))
    response.headers.extend(versioning.version_headers(info, bucket, requested))
    return response


async def _set_tags(ctx: Context, tags: dict[str, str], status: int) -> Response:
    bucket = await ctx.authorize_bucket()
    requested = versioning.version_param(ctx.req.query)
    version_id = await versioning_backend(ctx).put_object_tagging(ctx.req.bucket, ctx.req.key, requested, tags)
    return Response(status, _version_headers(version_id, versioning.shown_id(None, bucket, requested)))


async def put_object_tagging(ctx: Context) -> Response:
    versioning_backend(ctx)
    tags = tagging.parse_document(await ctx.body.read_all(ctx.config.xml_body_bytes_max))
    return await _set_tags(ctx, tags, 200)


async def delete_object_tagging(ctx: Context) -> Response:
    return await _set_tags(ctx, {}, 204)
