"""The access decision (owner, admin, policy, ACLs, public access block, ownership) and ACL parsing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from objectio.gateway import errors
from objectio.gateway.access import acl as acls
from objectio.gateway.access import bucket_access as ba
from objectio.gateway.access.evaluate import Caller, Decision, ObjectAcl, decide
from objectio.gateway.access.writes import new_bucket_settings, object_acl
from objectio.gateway.backend import BucketInfo

ALICE, BOB = Caller("alice"), Caller("bob")
ANON = Caller("")


def bucket(**settings: Any) -> ba.BucketAccess:
    encoded = {k: v if isinstance(v, bytes) else json.dumps(v).encode() for k, v in settings.items()}
    return ba.access_of(BucketInfo("photos", "alice", 0.0, "default", encoded))


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


READ_ALL = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/*"}


def test_owner_allowed_everyone_else_default_denied() -> None:
    plain = bucket()
    assert decide(ALICE, "s3:PutObject", plain, "k") is Decision.ALLOW
    assert decide(BOB, "s3:ListBucket", plain) is Decision.DEFAULT_DENY
    assert decide(ANON, "s3:ListBucket", plain) is Decision.DEFAULT_DENY
    assert decide(Caller("root", is_admin=True), "s3:DeleteBucket", plain) is Decision.ALLOW


def test_policy_allow_and_explicit_deny_even_for_the_owner() -> None:
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::photos/*"}
    deny_policy = {"Effect": "Deny", "Principal": "*", "Action": "s3:*Policy", "Resource": "arn:aws:s3:::photos"}
    access = bucket(policy=policy(READ_ALL, deny, deny_policy))
    assert decide(ANON, "s3:GetObject", access, "k", {}) is Decision.ALLOW
    assert decide(BOB, "s3:GetObject", access, "k", {}) is Decision.ALLOW
    assert decide(ALICE, "s3:DeleteObject", access, "k", {}) is Decision.DENY
    assert decide(BOB, "s3:PutObject", access, "k", {}) is Decision.DEFAULT_DENY
    # The owner keeps the policy actions, so a policy can never lock its owner out.
    assert decide(ALICE, "s3:DeleteBucketPolicy", access, "", {}) is Decision.ALLOW
    assert decide(BOB, "s3:DeleteBucketPolicy", access, "", {}) is Decision.DENY


def test_restrict_public_buckets_ignores_public_policy_allows() -> None:
    pab = ba.PublicAccessBlock(restrict_public_buckets=True).encode()
    access = bucket(policy=policy(READ_ALL), public_access_block=pab)
    private_object = ObjectAcl("alice", acls.private("alice"))
    assert decide(ANON, "s3:GetObject", access, "k", {}) is Decision.NEEDS_OBJECT  # only an object ACL may allow
    assert decide(ANON, "s3:GetObject", access, "k", {}, private_object) is Decision.DEFAULT_DENY
    assert decide(ALICE, "s3:GetObject", access, "k", {}) is Decision.ALLOW
    private = {**READ_ALL, "Principal": {"AWS": "bob"}}
    assert decide(BOB, "s3:GetObject", bucket(policy=policy(private), public_access_block=pab), "k", {}) is (
        Decision.ALLOW
    )


def test_bucket_acl_grants() -> None:
    acl = acls.encode(acls.canned("public-read-write", "alice", "alice"))
    access = bucket(acl=acl)
    assert decide(ANON, "s3:ListBucket", access) is Decision.ALLOW
    assert decide(ANON, "s3:PutObject", access, "k") is Decision.ALLOW
    assert decide(ANON, "s3:GetBucketAcl", access) is Decision.DEFAULT_DENY
    assert decide(ANON, "s3:GetObject", access, "k") is Decision.NEEDS_OBJECT  # bucket READ is not object READ
    ignored = bucket(acl=acl, public_access_block=ba.PublicAccessBlock(ignore_public_acls=True).encode())
    assert decide(ANON, "s3:ListBucket", ignored) is Decision.DEFAULT_DENY
    enforced = bucket(acl=acl, ownership=b"BucketOwnerEnforced")
    assert decide(ANON, "s3:ListBucket", enforced) is Decision.DEFAULT_DENY
    authenticated = bucket(acl=acls.encode(acls.canned("authenticated-read", "alice", "alice")))
    assert decide(BOB, "s3:ListBucket", authenticated) is Decision.ALLOW
    assert decide(ANON, "s3:ListBucket", authenticated) is Decision.DEFAULT_DENY


def test_object_acl_is_consulted_last() -> None:
    access = bucket()
    public = ObjectAcl("alice", acls.canned("public-read", "alice", "alice"))
    private = ObjectAcl("alice", acls.private("alice"))
    assert decide(ANON, "s3:GetObject", access, "k", obj=public) is Decision.ALLOW
    assert decide(ANON, "s3:GetObject", access, "k", obj=private) is Decision.DEFAULT_DENY
    assert decide(ANON, "s3:GetObjectAcl", access, "k", obj=public) is Decision.DEFAULT_DENY
    bobs = ObjectAcl("bob", acls.private("bob"))  # written by bob into alice's ObjectWriter bucket
    assert decide(BOB, "s3:GetObject", access, "k", obj=bobs) is Decision.ALLOW
    assert decide(BOB, "s3:PutObjectAcl", access, "k", obj=bobs) is Decision.ALLOW
    ignored = bucket(public_access_block=ba.PublicAccessBlock(ignore_public_acls=True).encode())
    assert decide(ANON, "s3:GetObject", ignored, "k", obj=public) is Decision.DEFAULT_DENY


def test_grant_headers_and_xml() -> None:
    headers = {
        "x-amz-grant-read": 'id="bob", uri="http://acs.amazonaws.com/groups/global/AllUsers"',
        "x-amz-grant-write-acp": "id=carol",
    }
    acl = acls.parse_grant_headers(headers)
    assert acl is not None and acl.is_public
    assert acl.permissions_of("bob", ignore_public=False) == {"READ"}
    assert acl.permissions_of("carol", ignore_public=True) == {"WRITE_ACP"}
    assert acl.permissions_of("", ignore_public=True) == set()
    round_trip = acls.parse_xml_policy(acls.to_xml(acl, "alice").encode())
    assert round_trip == acl
    assert acls.decode(acls.encode(acl), "alice") == acl
    assert acls.decode(b"", "alice") == acls.private("alice")
    for bad in ({"x-amz-grant-read": "emailAddress=x@example.com"}, {"x-amz-grant-read": "uri=http://x/"},
                {"x-amz-grant-read": "garbage"}):  # fmt: skip
        with pytest.raises((errors.UnresolvableGrantByEmailAddress, errors.InvalidArgument)):
            acls.parse_grant_headers(bad)
    with pytest.raises(errors.InvalidRequest):
        acls.from_request_headers({"x-amz-acl": "private", "x-amz-grant-read": "id=bob"}, "alice", "alice")
    with pytest.raises(errors.MalformedACLError):
        acls.parse_xml_policy(
            b"<AccessControlPolicy><AccessControlList><Grant/></AccessControlList></AccessControlPolicy>"
        )


def test_object_owner_and_acl_follow_ownership_controls() -> None:
    def info(**settings: bytes) -> BucketInfo:
        return BucketInfo("photos", "alice", 0.0, "default", settings)

    full = {"x-amz-acl": "bucket-owner-full-control"}
    assert object_acl({}, "bob", info()) == ("bob", b"")
    assert object_acl(full, "bob", info(ownership=b"BucketOwnerPreferred"))[0] == "alice"
    assert object_acl({}, "bob", info(ownership=b"BucketOwnerPreferred"))[0] == "bob"
    assert object_acl(full, "bob", info(ownership=b"BucketOwnerEnforced")) == ("alice", b"")
    with pytest.raises(errors.AccessControlListNotSupported):
        object_acl({"x-amz-acl": "public-read"}, "bob", info(ownership=b"BucketOwnerEnforced"))
    owner, stored = object_acl({"x-amz-acl": "public-read"}, "alice", info())
    assert owner == "alice" and acls.decode(stored, owner).is_public
    with pytest.raises(errors.AccessDenied):
        pab = ba.PublicAccessBlock(block_public_acls=True).encode()
        object_acl({"x-amz-acl": "public-read"}, "alice", info(public_access_block=pab))
    assert object_acl({}, "", info()) == ("alice", b"")  # anonymous writes belong to the bucket owner


def test_new_bucket_settings() -> None:
    assert new_bucket_settings({}, "alice", "ObjectWriter") == {"ownership": b"ObjectWriter"}
    with_acl = new_bucket_settings({"x-amz-acl": "public-read"}, "alice", "ObjectWriter")
    assert acls.decode(with_acl["acl"], "alice").is_public
    with pytest.raises(errors.InvalidBucketAclWithObjectOwnership):
        new_bucket_settings({"x-amz-acl": "public-read", "x-amz-object-ownership": "BucketOwnerEnforced"}, "a", "")
    with pytest.raises(errors.InvalidArgument):
        new_bucket_settings({"x-amz-object-ownership": "Nobody"}, "alice", "ObjectWriter")
