"""Gateway glue of access control: fetch what a decision needs (bucket, object ACL), fill the
condition keys from the request, decide, and raise AccessDenied.

The bucket owner's own request to a bucket without a policy is decided before anything is parsed
or allocated: that is the PUT/GET fast path.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from objectio.gateway import errors
from objectio.gateway.access import acl as acls
from objectio.gateway.access.actions import OBJECT_ACTIONS, action_of
from objectio.gateway.access.bucket_access import POLICY, access_of
from objectio.gateway.access.evaluate import Caller, Decision, ObjectAcl, decide
from objectio.gateway.backend import BucketInfo, ObjectNotFound
from objectio.gateway.request import S3Op

if TYPE_CHECKING:
    from objectio.gateway.context import Context

# Request headers that are also condition keys (``s3:<header>``).
HEADER_KEYS = (
    "x-amz-acl",
    "x-amz-content-sha256",
    "x-amz-copy-source",
    "x-amz-metadata-directive",
    "x-amz-storage-class",
    "x-amz-grant-read",
    "x-amz-grant-write",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
    "x-amz-object-ownership",
)
QUERY_KEYS = ("prefix", "delimiter", "max-keys")
# Operations that need a signed request whatever the policies say (they have no bucket to ask).
SIGNED_ONLY_OPS = frozenset({S3Op.LIST_BUCKETS, S3Op.CREATE_BUCKET})


def condition_context(ctx: Context) -> dict[str, str]:
    """The condition keys of this request (lower-case names); absent keys are simply missing."""
    req, user = ctx.req, ctx.identity.user
    now = time.time()
    context = {
        "aws:sourceip": ctx.client_ip,
        "aws:securetransport": "true" if ctx.secure else "false",
        "aws:epochtime": str(int(now)),
        "aws:currenttime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "aws:principaltype": "User" if user else "Anonymous",
    }
    if user:
        context.update({"aws:username": user, "aws:userid": user, "s3:signatureversion": "AWS4-HMAC-SHA256"})
        context["s3:authtype"] = "REST-QUERY-STRING" if "X-Amz-Signature" in req.query else "REST-HEADER"
    for header, key in (("user-agent", "aws:useragent"), ("referer", "aws:referer")):
        if header in req.headers:
            context[key] = req.headers[header]
    for name in HEADER_KEYS:
        if name in req.headers:
            context[f"s3:{name}"] = req.headers[name].strip()
    for name in QUERY_KEYS:
        if name in req.query:
            context[f"s3:{name}"] = req.query[name]
    if "versionId" in req.query:
        context["s3:versionid"] = req.query["versionId"]
    return context


class ConditionKeys(Mapping[str, str]):
    """The condition keys of a request, computed on first use: most statements have no condition."""

    __slots__ = ("_ctx", "_values")

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._values: dict[str, str] | None = None

    def _all(self) -> dict[str, str]:
        if self._values is None:
            self._values = condition_context(self._ctx)
        return self._values

    def __getitem__(self, key: str) -> str:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def check_signed(ctx: Context) -> None:
    """Anonymous callers can reach only operations on a bucket, where policies and ACLs decide."""
    if ctx.identity.anonymous and (ctx.req.op in SIGNED_ONLY_OPS or not ctx.req.bucket):
        raise errors.AccessDenied()


async def require(ctx: Context, action: str, info: BucketInfo, key: str) -> None:
    """AccessDenied unless the caller may do ``action`` on the bucket ``info`` (or its ``key``)."""
    user, is_admin = ctx.identity.user, ctx.identity.key.is_admin
    if is_admin or (user and user == info.owner and POLICY not in info.settings):
        return  # fast path: nothing to parse
    access = access_of(info)
    caller = Caller(user, is_admin)
    context = ConditionKeys(ctx) if access.policy is not None else None
    decision = decide(caller, action, access, key, context)
    if decision is Decision.NEEDS_OBJECT:
        try:
            obj = await ctx.backend.head_object(info.name, key)
        except ObjectNotFound:
            raise errors.AccessDenied() from None
        owner = obj.owner or info.owner
        decision = decide(caller, action, access, key, context, ObjectAcl(owner, acls.decode(obj.acl, owner)))
    if decision is not Decision.ALLOW:
        raise errors.AccessDenied()


# Hot data-path operations: their bucket lookup may be served from the cache
# (``datapath.bucket_cache_seconds``); every other operation reads the bucket from meta.
CACHED_BUCKET_OPS = frozenset(
    {
        S3Op.HEAD_BUCKET,
        S3Op.LIST_OBJECTS,
        S3Op.LIST_OBJECTS_V2,
        S3Op.DELETE_OBJECTS,
        S3Op.PUT_OBJECT,
        S3Op.COPY_OBJECT,
        S3Op.CREATE_MULTIPART_UPLOAD,
        S3Op.UPLOAD_PART,
        S3Op.UPLOAD_PART_COPY,
        S3Op.COMPLETE_MULTIPART_UPLOAD,
        S3Op.ABORT_MULTIPART_UPLOAD,
        S3Op.LIST_PARTS,
        S3Op.LIST_MULTIPART_UPLOADS,
        S3Op.GET_OBJECT,
        S3Op.HEAD_OBJECT,
        S3Op.DELETE_OBJECT,
    }
)


def _check_expected_owner(expected: str | None, info: BucketInfo) -> None:
    if expected is not None and expected != info.owner:
        raise errors.AccessDenied()


async def authorize(ctx: Context) -> BucketInfo:
    """The request's bucket, if it exists and the caller may do the request's action on it
    (DeleteObjects is decided key by key: :func:`authorize_key`)."""
    # The data path may use the gateway's bucket cache; configuration requests (policy, ACL,
    # versioning, CORS ... reads and writes) always see meta's current settings, so a setting
    # written through one gateway worker reads back through any other at once.
    fresh = ctx.req.op not in CACHED_BUCKET_OPS
    info = await ctx.backend.head_bucket(ctx.req.bucket, fresh=fresh)
    _check_expected_owner(ctx.req.headers.get("x-amz-expected-bucket-owner"), info)
    if ctx.req.op is not S3Op.DELETE_OBJECTS:
        action = action_of(ctx.req)
        await require(ctx, action, info, ctx.req.key if action in OBJECT_ACTIONS else "")
    return info


async def authorize_source(ctx: Context, bucket: str, key: str) -> BucketInfo:
    """The bucket a copy reads from: the caller needs s3:GetObject on the source object."""
    info = await ctx.backend.head_bucket(bucket)
    _check_expected_owner(ctx.req.headers.get("x-amz-source-expected-bucket-owner"), info)
    await require(ctx, "s3:GetObject", info, key)
    return info
