"""Bucket policies: PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy, GetBucketPolicyStatus.

The policy is validated (MalformedPolicy) and stored as the client sent it, in the bucket setting
``policy``; GetBucketPolicy returns it unchanged. BlockPublicPolicy refuses a public policy.
"""

from __future__ import annotations

from objectio.gateway import errors
from objectio.gateway.access import policy
from objectio.gateway.access.bucket_access import POLICY, access_of
from objectio.gateway.context import Context
from objectio.gateway.http import XML_NS, Response, xml_response
from objectio.gateway.xmlio import el


async def put_bucket_policy(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()
    text = await ctx.body.read_all(ctx.config.xml_body_bytes_max)
    parsed = policy.parse(text, bucket.name)
    if access_of(bucket).pab.block_public_policy and parsed.is_public:
        raise errors.AccessDenied("Access Denied: the public access block of this bucket refuses public policies.")
    await ctx.backend.put_bucket_setting(bucket.name, POLICY, text)
    return Response(204)


async def get_bucket_policy(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()
    text = bucket.settings.get(POLICY)
    if text is None:
        raise errors.NoSuchBucketPolicy(fields={"BucketName": bucket.name})
    return Response(200, [("content-type", "application/json")], text)


async def delete_bucket_policy(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()
    await ctx.backend.put_bucket_setting(bucket.name, POLICY, None)
    return Response(204)


async def get_bucket_policy_status(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()
    parsed = access_of(bucket).policy
    if parsed is None:
        raise errors.NoSuchBucketPolicy(fields={"BucketName": bucket.name})
    return xml_response(f'<PolicyStatus xmlns="{XML_NS}">{el("IsPublic", parsed.is_public)}</PolicyStatus>')
