"""The access decision, as one pure function of the caller, the action and the bucket's settings.

Order (first that applies wins):

1. an admin key may do anything;
2. the bucket owner with no policy: allowed (the common case: O(1), nothing parsed);
3. an explicit Deny in the bucket policy: denied (even for the owner, except the policy actions
   themselves, so an owner can never lock themselves out);
4. the bucket owner: allowed;
5. an Allow in the bucket policy: allowed (ignored for a public policy under
   RestrictPublicBuckets);
6. ACLs, unless the bucket enforces bucket-owner ownership: a bucket ACL grant (READ lists, WRITE
   writes and deletes objects, READ_ACP/WRITE_ACP read/write the bucket ACL), then for object reads
   the object's ACL (the caller learns NEEDS_OBJECT when that ACL must be fetched first); public
   grants are ignored under IgnorePublicAcls;
7. anything else: default deny.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from objectio.gateway.access.acl import Acl
from objectio.gateway.access.actions import OWNER_ALWAYS_ACTIONS, resource_arn
from objectio.gateway.access.bucket_access import BucketAccess
from objectio.gateway.access.policy import Answer

# Bucket ACL permission -> actions it grants (FULL_CONTROL grants every one of them).
BUCKET_ACL_ACTIONS: dict[str, frozenset[str]] = {
    "READ": frozenset({"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"}),
    "WRITE": frozenset({"s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}),
    "READ_ACP": frozenset({"s3:GetBucketAcl"}),
    "WRITE_ACP": frozenset({"s3:PutBucketAcl"}),
}
OBJECT_ACL_ACTIONS: dict[str, frozenset[str]] = {
    "READ": frozenset({"s3:GetObject", "s3:GetObjectVersion"}),
    "READ_ACP": frozenset({"s3:GetObjectAcl"}),
    "WRITE_ACP": frozenset({"s3:PutObjectAcl"}),
}
OBJECT_OWNER_ACTIONS = frozenset({"s3:GetObjectAcl", "s3:PutObjectAcl"})  # implicit for an object's owner


def _granting(table: dict[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    """action -> the permissions that grant it."""
    out: dict[str, set[str]] = {}
    for permission, actions in table.items():
        for action in actions:
            out.setdefault(action, {"FULL_CONTROL"}).add(permission)
    return {action: frozenset(perms) for action, perms in out.items()}


BUCKET_GRANTS = _granting(BUCKET_ACL_ACTIONS)
OBJECT_GRANTS = _granting(OBJECT_ACL_ACTIONS)


class Decision(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"  # an explicit Deny
    DEFAULT_DENY = "default-deny"  # nothing allows it
    NEEDS_OBJECT = "needs-object"  # only the object's ACL can still allow it: fetch it and ask again


@dataclass(frozen=True, slots=True)
class Caller:
    user: str  # '' for an anonymous request
    is_admin: bool = False


@dataclass(frozen=True, slots=True)
class ObjectAcl:
    owner: str
    acl: Acl


def decide(
    caller: Caller,
    action: str,
    bucket: BucketAccess,
    key: str = "",
    context: Mapping[str, str] | None = None,
    obj: ObjectAcl | None = None,
) -> Decision:
    """May ``caller`` do ``action`` on ``bucket`` (or its object ``key``)? ``context`` holds the
    condition keys (lower case) and is read only when the bucket has a policy."""
    if caller.is_admin:
        return Decision.ALLOW
    is_owner = bool(caller.user) and caller.user == bucket.owner
    if bucket.policy is not None:
        keys = context if context is not None else {}  # not "context or {}": that would compute every key
        answer = bucket.policy.evaluate(caller.user, action, resource_arn(bucket.name, key), keys)
        if answer is Answer.DENY and not (is_owner and action in OWNER_ALWAYS_ACTIONS):
            return Decision.DENY
        if is_owner:
            return Decision.ALLOW
        if answer is Answer.ALLOW and not (bucket.pab.restrict_public_buckets and bucket.policy.is_public):
            return Decision.ALLOW
    elif is_owner:
        return Decision.ALLOW
    if not bucket.acls_enabled:
        return Decision.DEFAULT_DENY
    ignore_public = bucket.pab.ignore_public_acls
    granting = BUCKET_GRANTS.get(action)
    if granting and bucket.acl.permissions_of(caller.user, ignore_public=ignore_public) & granting:
        return Decision.ALLOW
    granting = OBJECT_GRANTS.get(action)
    if granting and key:
        if obj is None:
            return Decision.NEEDS_OBJECT
        if caller.user and caller.user == obj.owner and action in OBJECT_OWNER_ACTIONS:
            return Decision.ALLOW
        if obj.acl.permissions_of(caller.user, ignore_public=ignore_public) & granting:
            return Decision.ALLOW
    return Decision.DEFAULT_DENY
