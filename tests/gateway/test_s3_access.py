"""Access control through boto3 against the real app (in-memory backend): two users (alice owns the
buckets, bob does not) and anonymous requests."""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import requests
from botocore import UNSIGNED
from botocore.exceptions import ClientError
from s3_harness import BOB, Server

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def status(exc: pytest.ExceptionInfo[ClientError]) -> int:
    return int(exc.value.response["ResponseMetadata"]["HTTPStatusCode"])


def denied(call: Any, **kwargs: Any) -> None:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    assert (status(exc), code(exc)) == (403, "AccessDenied"), kwargs


def policy(bucket: str, *statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def stmt(effect: str, principal: Any, action: Any, resource: str, **extra: Any) -> dict[str, Any]:
    return {"Effect": effect, "Principal": principal, "Action": action, "Resource": resource, **extra}


@pytest.fixture
def bob(server: Server) -> Any:
    return server.client(BOB)


@pytest.fixture
def anon(server: Server) -> Any:
    return server.client(signature_version=UNSIGNED)


def test_default_deny_for_other_users_and_anonymous(server: Server, s3: Any, bob: Any, anon: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"secret")
    for client in (bob, anon):
        denied(client.get_object, Bucket=bucket, Key="k")
        denied(client.list_objects_v2, Bucket=bucket)
        denied(client.put_object, Bucket=bucket, Key="k2", Body=b"x")
        denied(client.get_bucket_acl, Bucket=bucket)
        denied(client.put_bucket_policy, Bucket=bucket, Policy=policy(bucket, stmt("Allow", "*", "s3:*", "*")))
    denied(anon.list_buckets)
    denied(anon.create_bucket, Bucket=f"anon-{uuid.uuid4().hex[:8]}")
    raw = requests.get(f"{server.url}/{bucket}/k", timeout=5)  # plain HTTP, no signature at all
    root = ET.fromstring(raw.content)
    assert raw.status_code == 403 and root.findtext("Code") == "AccessDenied"
    assert root.findtext("Resource") == f"/{bucket}/k" and root.findtext("RequestId")


def test_policy_grants_read_to_another_user(s3: Any, bob: Any, anon: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="pub/a", Body=b"a")
    s3.put_object(Bucket=bucket, Key="private/b", Body=b"b")
    text = policy(bucket, stmt("Allow", {"AWS": ["arn:aws:iam::000000000000:user/bob"]}, "s3:GetObject",
                               f"arn:aws:s3:::{bucket}/pub/*"))  # fmt: skip
    s3.put_bucket_policy(Bucket=bucket, Policy=text)
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == text
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False
    assert bob.get_object(Bucket=bucket, Key="pub/a")["Body"].read() == b"a"
    assert bob.head_object(Bucket=bucket, Key="pub/a")["ContentLength"] == 1
    denied(bob.get_object, Bucket=bucket, Key="private/b")
    denied(bob.list_objects_v2, Bucket=bucket)
    denied(anon.get_object, Bucket=bucket, Key="pub/a")
    s3.delete_bucket_policy(Bucket=bucket)
    denied(bob.get_object, Bucket=bucket, Key="pub/a")
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=bucket)
    assert (status(exc), code(exc)) == (404, "NoSuchBucketPolicy")


def test_deny_overrides_allow(s3: Any, bob: Any, bucket: str) -> None:
    arn = f"arn:aws:s3:::{bucket}"
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(
        bucket,
        stmt("Allow", {"AWS": "bob"}, "s3:*", f"{arn}/*"),
        stmt("Allow", {"AWS": "bob"}, ["s3:ListBucket"], arn, Condition={"StringLike": {"s3:prefix": "bob/*"}}),
        stmt("Deny", "*", "s3:DeleteObject", f"{arn}/keep/*"),
    ))  # fmt: skip
    bob.put_object(Bucket=bucket, Key="keep/x", Body=b"x")
    bob.put_object(Bucket=bucket, Key="bob/y", Body=b"y")
    denied(bob.delete_object, Bucket=bucket, Key="keep/x")
    denied(s3.delete_object, Bucket=bucket, Key="keep/x")  # an explicit Deny binds the owner too
    bob.delete_object(Bucket=bucket, Key="bob/y")
    assert bob.list_objects_v2(Bucket=bucket, Prefix="bob/")["KeyCount"] == 0
    denied(bob.list_objects_v2, Bucket=bucket)
    denied(bob.list_objects_v2, Bucket=bucket, Prefix="keep/")
    result = bob.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "keep/x"}, {"Key": "other"}]})
    assert [(e["Key"], e["Code"]) for e in result["Errors"]] == [("keep/x", "AccessDenied")]
    assert [d["Key"] for d in result["Deleted"]] == ["other"]
    s3.delete_bucket_policy(Bucket=bucket)  # the owner keeps the policy actions


def test_source_ip_and_secure_transport_conditions(s3: Any, bob: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"k")
    arn = f"arn:aws:s3:::{bucket}/*"
    loopback = {"aws:SourceIp": "127.0.0.0/8"}
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=policy(bucket, stmt("Allow", {"AWS": "bob"}, "s3:GetObject", arn, Condition={"IpAddress": loopback})),
    )
    assert bob.get_object(Bucket=bucket, Key="k")["Body"].read() == b"k"
    elsewhere = {"NotIpAddress": loopback}
    s3.put_bucket_policy(
        Bucket=bucket, Policy=policy(bucket, stmt("Allow", {"AWS": "bob"}, "s3:GetObject", arn, Condition=elsewhere))
    )
    denied(bob.get_object, Bucket=bucket, Key="k")
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(
        bucket, stmt("Allow", {"AWS": "bob"}, "s3:GetObject", arn, Condition={"Bool": {"aws:SecureTransport": "true"}})
    ))  # fmt: skip
    denied(bob.get_object, Bucket=bucket, Key="k")  # plain HTTP


def test_public_read_policy_and_public_access_block(s3: Any, anon: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"hello")
    public = policy(bucket, stmt("Allow", "*", "s3:GetObject", f"arn:aws:s3:::{bucket}/*"))
    s3.put_bucket_policy(Bucket=bucket, Policy=public)
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    assert anon.get_object(Bucket=bucket, Key="index.html")["Body"].read() == b"hello"
    denied(anon.list_objects_v2, Bucket=bucket)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    config = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert config == {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
                      "RestrictPublicBuckets": True}  # fmt: skip
    denied(anon.get_object, Bucket=bucket, Key="index.html")
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicPolicy": True})
    assert anon.get_object(Bucket=bucket, Key="index.html")["Body"].read() == b"hello"
    denied(s3.put_bucket_policy, Bucket=bucket, Policy=public)
    s3.delete_public_access_block(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_public_access_block(Bucket=bucket)
    assert (status(exc), code(exc)) == (404, "NoSuchPublicAccessBlockConfiguration")
    s3.put_bucket_policy(Bucket=bucket, Policy=public)


def test_canned_acls_and_public_access_block(s3: Any, anon: Any, bob: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="open", Body=b"o", ACL="public-read")
    s3.put_object(Bucket=bucket, Key="closed", Body=b"c")
    assert anon.get_object(Bucket=bucket, Key="open")["Body"].read() == b"o"
    denied(anon.get_object, Bucket=bucket, Key="closed")
    denied(anon.put_object_acl, Bucket=bucket, Key="open", ACL="public-read-write")
    grants = s3.get_object_acl(Bucket=bucket, Key="open")["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"} in grants
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    listed = anon.list_objects_v2(Bucket=bucket, FetchOwner=True)["Contents"]
    assert [(o["Key"], o["Owner"]["ID"]) for o in listed] == [("closed", "alice"), ("open", "alice")]
    denied(anon.put_object, Bucket=bucket, Key="new", Body=b"n")
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read-write")
    anon.put_object(Bucket=bucket, Key="new", Body=b"n")  # an anonymous object belongs to the bucket owner
    assert s3.get_object_acl(Bucket=bucket, Key="new")["Owner"]["ID"] == "alice"
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    denied(anon.get_object, Bucket=bucket, Key="open")
    denied(anon.list_objects_v2, Bucket=bucket)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    denied(s3.put_object, Bucket=bucket, Key="x", Body=b"x", ACL="public-read")
    denied(s3.put_bucket_acl, Bucket=bucket, ACL="public-read")
    denied(s3.put_object_acl, Bucket=bucket, Key="closed", ACL="authenticated-read")
    s3.put_object(Bucket=bucket, Key="x", Body=b"x", ACL="private")
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    assert s3.get_bucket_acl(Bucket=bucket)["Grants"] == [
        {"Grantee": {"Type": "CanonicalUser", "ID": "alice", "DisplayName": "alice"}, "Permission": "FULL_CONTROL"}
    ]


def test_acl_grants_headers_and_xml(s3: Any, bob: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="shared", Body=b"s", GrantRead='id="bob"')
    assert bob.get_object(Bucket=bucket, Key="shared")["Body"].read() == b"s"
    denied(bob.get_object_acl, Bucket=bucket, Key="shared")
    s3.put_object(Bucket=bucket, Key="later", Body=b"l")
    denied(bob.get_object, Bucket=bucket, Key="later")
    owner = {"ID": "alice", "DisplayName": "alice"}
    s3.put_object_acl(Bucket=bucket, Key="later", AccessControlPolicy={"Owner": owner, "Grants": [
        {"Grantee": {"Type": "CanonicalUser", "ID": "alice"}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "CanonicalUser", "ID": "bob"}, "Permission": "READ"},
        {"Grantee": {"Type": "CanonicalUser", "ID": "bob"}, "Permission": "READ_ACP"},
    ]})  # fmt: skip
    assert bob.get_object(Bucket=bucket, Key="later")["Body"].read() == b"l"
    permissions = {
        (g["Grantee"].get("ID"), g["Permission"]) for g in bob.get_object_acl(Bucket=bucket, Key="later")["Grants"]
    }
    assert permissions == {("alice", "FULL_CONTROL"), ("bob", "READ"), ("bob", "READ_ACP")}
    s3.put_bucket_acl(Bucket=bucket, GrantWrite='id="bob"', GrantRead='id="bob"')
    bob.put_object(Bucket=bucket, Key="from-bob", Body=b"b")  # ObjectWriter: bob owns it
    assert bob.get_object_acl(Bucket=bucket, Key="from-bob")["Owner"]["ID"] == "bob"
    assert "from-bob" in [o["Key"] for o in bob.list_objects_v2(Bucket=bucket)["Contents"]]
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="e", Body=b"e", GrantRead="emailAddress=x@example.com")
    assert code(exc) == "UnresolvableGrantByEmailAddress"
    with pytest.raises(ClientError) as exc:
        s3.put_object_acl(Bucket=bucket, Key="later", ACL="private", GrantRead='id="bob"')
    assert code(exc) == "InvalidRequest"


def test_ownership_controls(server: Server, s3: Any, bob: Any, bucket: str) -> None:
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "ObjectWriter"}  # the configured default for new buckets
    ]
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    for call, kwargs in ((s3.put_object, {"Key": "k", "Body": b"k", "ACL": "public-read"}),
                         (s3.put_bucket_acl, {"ACL": "public-read"}),
                         (s3.create_multipart_upload, {"Key": "m", "GrantRead": 'id="bob"'})):  # fmt: skip
        with pytest.raises(ClientError) as exc:
            call(Bucket=bucket, **kwargs)
        assert (status(exc), code(exc)) == (400, "AccessControlListNotSupported")
    s3.put_object(Bucket=bucket, Key="k", Body=b"k", ACL="bucket-owner-full-control")
    s3.put_bucket_policy(
        Bucket=bucket, Policy=policy(bucket, stmt("Allow", {"AWS": "bob"}, "s3:PutObject", f"arn:aws:s3:::{bucket}/*"))
    )
    bob.put_object(Bucket=bucket, Key="b", Body=b"b")
    assert s3.get_object_acl(Bucket=bucket, Key="b")["Owner"]["ID"] == "alice"  # the bucket owner owns it
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    )
    bob.put_object(Bucket=bucket, Key="c", Body=b"c", ACL="bucket-owner-full-control")
    bob.put_object(Bucket=bucket, Key="d", Body=b"d")
    assert s3.get_object_acl(Bucket=bucket, Key="c")["Owner"]["ID"] == "alice"
    assert s3.get_object_acl(Bucket=bucket, Key="d")["Owner"]["ID"] == "bob"
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_ownership_controls(Bucket=bucket)
    assert (status(exc), code(exc)) == (404, "OwnershipControlsNotFoundError")
    enforced = f"enf-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=enforced, ObjectOwnership="BucketOwnerEnforced")
    assert s3.get_bucket_ownership_controls(Bucket=enforced)["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == (
        "BucketOwnerEnforced"
    )
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(
            Bucket=f"enf-{uuid.uuid4().hex[:10]}", ObjectOwnership="BucketOwnerEnforced", ACL="public-read"
        )
    assert code(exc) == "InvalidBucketAclWithObjectOwnership"


def test_malformed_policy(s3: Any, bucket: str) -> None:
    elsewhere = policy(bucket, stmt("Allow", "*", "s3:GetObject", "arn:aws:s3:::elsewhere/*"))
    for text, message in (
        ("not json", "first byte"),
        ('{"Statement": [{"Effect": "Allow"}]}', "Principal"),
        (elsewhere, "resource"),
    ):
        with pytest.raises(ClientError) as exc:
            s3.put_bucket_policy(Bucket=bucket, Policy=text)
        assert (status(exc), code(exc)) == (400, "MalformedPolicy")
        assert message in exc.value.response["Error"]["Message"]


def test_copy_needs_read_access_to_the_source(s3: Any, bob: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"data")
    target = f"bob-{uuid.uuid4().hex[:10]}"
    bob.create_bucket(Bucket=target)
    denied(bob.copy_object, Bucket=target, Key="copy", CopySource={"Bucket": bucket, "Key": "src"})
    s3.put_object_acl(Bucket=bucket, Key="src", GrantRead='id="bob"')
    bob.copy_object(Bucket=target, Key="copy", CopySource={"Bucket": bucket, "Key": "src"})
    assert bob.get_object(Bucket=target, Key="copy")["Body"].read() == b"data"
