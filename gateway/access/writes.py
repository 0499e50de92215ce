"""What a write says about ownership and ACLs: the owner and ACL of a new object, the settings of
a new bucket, and the checks every ACL write passes (ownership controls, BlockPublicAcls).

Under BucketOwnerEnforced ACLs are disabled: a write carrying any ACL other than
``bucket-owner-full-control`` is refused with AccessControlListNotSupported, and every object
belongs to the bucket owner. Under BucketOwnerPreferred an object written with
``bucket-owner-full-control`` belongs to the bucket owner, any other to its writer; under
ObjectWriter to its writer. Anonymous writes belong to the bucket owner.
"""

from __future__ import annotations

from objectio.gateway import errors
from objectio.gateway.access import acl as acls
from objectio.gateway.access.bucket_access import (
    ACL,
    BUCKET_OWNER_ENFORCED,
    BUCKET_OWNER_PREFERRED,
    OWNERSHIP,
    OWNERSHIP_VALUES,
    BucketAccess,
    access_of,
)
from objectio.gateway.backend import BucketInfo

ACL_HEADERS = ("x-amz-acl", *acls.GRANT_HEADERS)
OWNERSHIP_HEADER = "x-amz-object-ownership"
BUCKET_OWNER_ENFORCED_BYTES = BUCKET_OWNER_ENFORCED.encode()


def has_acl_headers(headers: dict[str, str]) -> bool:
    return any(h in headers for h in ACL_HEADERS)


def _is_bucket_owner_full_control(headers: dict[str, str]) -> bool:
    return headers.get("x-amz-acl", "").strip() == acls.BUCKET_OWNER_FULL_CONTROL and not any(
        h in headers for h in acls.GRANT_HEADERS
    )


def check_acl_write(access: BucketAccess, acl: acls.Acl, owner_full_control: bool) -> None:
    """Refuse an ACL the bucket's ownership controls or public access block do not allow."""
    if not access.acls_enabled and not owner_full_control:
        raise errors.AccessControlListNotSupported()
    if access.pab.block_public_acls and acl.is_public:
        raise errors.AccessDenied()


def object_acl(headers: dict[str, str], writer: str, bucket: BucketInfo) -> tuple[str, bytes]:
    """(owner, stored ACL) of an object this request writes ('' ACL: private to its owner)."""
    owner = writer or bucket.owner
    if not has_acl_headers(headers):  # the common case: nothing to parse, check or store
        enforced = bucket.settings.get(OWNERSHIP) == BUCKET_OWNER_ENFORCED_BYTES
        return (bucket.owner if enforced else owner), b""
    access = access_of(bucket)
    full_control = _is_bucket_owner_full_control(headers)
    if access.ownership == BUCKET_OWNER_ENFORCED or (access.ownership == BUCKET_OWNER_PREFERRED and full_control):
        owner = bucket.owner
    acl = acls.from_request_headers(headers, owner, bucket.owner)
    if acl is None:
        return owner, b""
    check_acl_write(access, acl, full_control)
    if not access.acls_enabled or acl.is_owner_only(owner):
        return owner, b""
    return owner, acls.encode(acl)


def new_bucket_settings(headers: dict[str, str], owner: str, ownership_default: str) -> dict[str, bytes]:
    """The access settings a CreateBucket stores with the bucket (ownership, ACL)."""
    ownership = headers.get(OWNERSHIP_HEADER, ownership_default).strip()
    if ownership not in OWNERSHIP_VALUES:
        raise errors.InvalidArgument(
            "Invalid x-amz-object-ownership header",
            fields={"ArgumentName": OWNERSHIP_HEADER, "ArgumentValue": ownership},
        )
    settings = {OWNERSHIP: ownership.encode()}
    acl = acls.from_request_headers(headers, owner, owner)
    if acl is None or acl.is_owner_only(owner):
        return settings
    if ownership == BUCKET_OWNER_ENFORCED:
        raise errors.InvalidBucketAclWithObjectOwnership()
    settings[ACL] = acls.encode(acl)
    return settings
