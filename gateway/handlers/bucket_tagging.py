"""PutBucketTagging, GetBucketTagging, DeleteBucketTagging: the tag set is the bucket setting
``tagging`` (canonical JSON, ``gateway/tagset.py``)."""

from __future__ import annotations

from objectio.gateway import errors, tagset
from objectio.gateway.context import Context
from objectio.gateway.handlers.config_doc import read_document
from objectio.gateway.http import Response, xml_response

SETTING = "tagging"


async def put_bucket_tagging(ctx: Context) -> Response:
    await ctx.authorize_bucket()
    tags = tagset.parse_tagging(await read_document(ctx), tagset.BUCKET_TAGS_MAX)
    # An empty tag set is no tag set: GetBucketTagging answers NoSuchTagSet afterwards, as on AWS.
    await ctx.backend.put_bucket_setting(ctx.req.bucket, SETTING, tagset.encode(tags) if tags else None)
    return Response(204)


async def get_bucket_tagging(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()  # read from meta, not the cache: read-after-write
    stored = bucket.settings.get(SETTING)
    if stored is None:
        raise errors.NoSuchTagSet(fields={"BucketName": ctx.req.bucket})
    return xml_response(tagset.render(tagset.decode(stored)))


async def delete_bucket_tagging(ctx: Context) -> Response:
    await ctx.authorize_bucket()
    await ctx.backend.put_bucket_setting(ctx.req.bucket, SETTING, None)
    return Response(204)
