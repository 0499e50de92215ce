"""ACLs of buckets and objects: GetBucketAcl, PutBucketAcl, GetObjectAcl, PutObjectAcl.

An ACL comes from ``x-amz-acl``, from ``x-amz-grant-*`` headers or from an AccessControlPolicy
body (one of them). Buckets store theirs in the bucket setting ``acl``; objects in their record.
With ACLs disabled (BucketOwnerEnforced) reads answer the owner's FULL_CONTROL and writes other
than bucket-owner-full-control are refused.
"""

from __future__ import annotations

from objectio.gateway import errors
from objectio.gateway.access import acl as acls
from objectio.gateway.access.bucket_access import ACL, access_of
from objectio.gateway.access.writes import check_acl_write, has_acl_headers
from objectio.gateway.context import Context
from objectio.gateway.http import Response, xml_response


async def _requested(ctx: Context, owner: str, bucket_owner: str) -> tuple[acls.Acl, bool]:
    """The ACL the request asks for, and whether it is (equivalent to) bucket-owner-full-control."""
    body = await ctx.body.read_all(ctx.config.xml_body_bytes_max)
    headers = ctx.req.headers
    if body.strip() and has_acl_headers(headers):
        raise errors.InvalidRequest("Specifying both an ACL header and an AccessControlPolicy body is not allowed")
    if body.strip():
        acl = acls.parse_xml_policy(body)
    else:
        requested = acls.from_request_headers(headers, owner, bucket_owner)
        if requested is None:
            raise errors.MissingSecurityHeader("Your request was missing a required header: x-amz-acl")
        acl = requested
    full_control = {(g.kind, g.grantee, g.permission) for g in acl.grants} <= {
        ("CanonicalUser", owner, "FULL_CONTROL"),
        ("CanonicalUser", bucket_owner, "FULL_CONTROL"),
    }
    return acl, full_control


async def get_bucket_acl(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()
    access = access_of(bucket)
    acl = access.acl if access.acls_enabled else acls.private(bucket.owner)
    return xml_response(acls.to_xml(acl, bucket.owner))


async def put_bucket_acl(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()
    acl, full_control = await _requested(ctx, bucket.owner, bucket.owner)
    access = access_of(bucket)
    check_acl_write(access, acl, full_control)
    stored = None if acl.is_owner_only(bucket.owner) or not access.acls_enabled else acls.encode(acl)
    await ctx.backend.put_bucket_setting(bucket.name, ACL, stored)
    return Response(200)


async def get_object_acl(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()
    info = await ctx.backend.head_object(bucket.name, ctx.req.key)
    owner = info.owner or bucket.owner
    acl = acls.decode(info.acl, owner) if access_of(bucket).acls_enabled else acls.private(owner)
    return xml_response(acls.to_xml(acl, owner))


async def put_object_acl(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()
    info = await ctx.backend.head_object(bucket.name, ctx.req.key)
    owner = info.owner or bucket.owner
    acl, full_control = await _requested(ctx, owner, bucket.owner)
    access = access_of(bucket)
    check_acl_write(access, acl, full_control)
    stored = b"" if acl.is_owner_only(owner) or not access.acls_enabled else acls.encode(acl)
    await ctx.backend.put_object_acl(bucket.name, ctx.req.key, stored)
    return Response(200)
