"""Access control on the real all-in-one cluster: two users created through meta, anonymous
requests (botocore UNSIGNED and plain HTTP), policies, ACLs (bucket setting and per-object record
through SetObjectAcl), public access block and ownership controls across meta and the gateway.

The gateway runs two workers, each caching bucket records for ``datapath.bucket_cache_seconds``:
a change of bucket settings reaches the other worker within that bound, so checks right after one
go through :func:`eventually`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from objectio.cli.aio import AllInOne
from objectio.meta.client import MetaClient
from tests.e2e.test_awscli import aws

pytestmark = pytest.mark.e2e

EC_BODY = b"e" * (300 * 1024)  # above the inline limit: erasure-coded on the OSDs
SETTINGS_VISIBLE_SECONDS = 8.0  # datapath.bucket_cache_seconds (5 s) and some slack


@dataclass
class Users:
    owner: Any
    other: Any
    anon: Any
    owner_name: str
    other_name: str


def client(cluster: AllInOne, access: str = "", secret: str = "", **config: Any) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=cluster.endpoint,
        aws_access_key_id=access or "unused",
        aws_secret_access_key=secret or "unused",
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}, **config),
    )


async def _create_users(cluster: AllInOne, names: list[str]) -> list[tuple[str, str]]:
    meta = await MetaClient.connect(cluster.meta_address, cluster.credentials.cluster_token)
    try:
        keys = []
        for name in names:
            await meta.create_user(name)
            key = await meta.create_access_key(name)
            keys.append((key.access_key, key.secret_key))
        return keys
    finally:
        await meta.close()


@pytest.fixture(scope="module")
def users(cluster: AllInOne) -> Users:
    suffix = uuid.uuid4().hex[:6]
    names = [f"owner{suffix}", f"other{suffix}"]
    (owner_key, owner_secret), (other_key, other_secret) = asyncio.run(_create_users(cluster, names))
    return Users(
        client(cluster, owner_key, owner_secret),
        client(cluster, other_key, other_secret),
        client(cluster, signature_version=UNSIGNED),
        *names,
    )


@pytest.fixture
def bucket(users: Users) -> str:
    name = f"acc-{uuid.uuid4().hex[:12]}"
    users.owner.create_bucket(Bucket=name)
    return name


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    response = exc.value.response
    return int(response["ResponseMetadata"]["HTTPStatusCode"]), str(response["Error"]["Code"])


def denied(call: Any, **kwargs: Any) -> None:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    assert error(exc) == (403, "AccessDenied"), kwargs


def eventually(check: Any, *args: Any, **kwargs: Any) -> Any:
    """``check(*args, **kwargs)`` once a bucket-setting change has reached every gateway worker."""
    deadline = time.monotonic() + SETTINGS_VISIBLE_SECONDS
    while True:
        try:
            return check(*args, **kwargs)
        except (AssertionError, ClientError, pytest.fail.Exception):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def read(who: Any, bucket: str, key: str) -> bytes:
    body: bytes = who.get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def statement(effect: str, principal: Any, action: Any, resource: str) -> dict[str, Any]:
    return {"Effect": effect, "Principal": principal, "Action": action, "Resource": resource}


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_default_deny_and_access_denied_xml(cluster: AllInOne, users: Users, bucket: str) -> None:
    users.owner.put_object(Bucket=bucket, Key="k", Body=b"private")
    for who in (users.other, users.anon):
        denied(who.get_object, Bucket=bucket, Key="k")
        denied(who.list_objects_v2, Bucket=bucket)
        denied(who.put_object, Bucket=bucket, Key="x", Body=b"x")
        denied(who.delete_bucket, Bucket=bucket)
    denied(users.anon.list_buckets)
    assert bucket not in [b["Name"] for b in users.other.list_buckets()["Buckets"]]
    raw = requests.get(f"{cluster.endpoint}/{bucket}/k", timeout=10)
    root = ET.fromstring(raw.content)
    assert raw.status_code == 403 and raw.headers["content-type"] == "application/xml"
    assert (root.findtext("Code"), root.findtext("Resource")) == ("AccessDenied", f"/{bucket}/k")


def test_policy_grants_and_deny_overrides(users: Users, bucket: str) -> None:
    users.owner.put_object(Bucket=bucket, Key="docs/a", Body=b"a")
    users.owner.put_object(Bucket=bucket, Key="docs/big", Body=EC_BODY)
    arn = f"arn:aws:s3:::{bucket}"
    other_arn = f"arn:aws:iam::000000000000:user/{users.other_name}"
    text = policy(
        statement("Allow", {"AWS": other_arn}, ["s3:GetObject", "s3:PutObject"], f"{arn}/*"),
        statement("Allow", {"AWS": users.other_name}, "s3:ListBucket", arn),
        statement("Deny", "*", "s3:PutObject", f"{arn}/docs/*"),
    )
    users.owner.put_bucket_policy(Bucket=bucket, Policy=text)
    assert users.owner.get_bucket_policy(Bucket=bucket)["Policy"] == text  # stored by meta as sent
    assert eventually(read, users.other, bucket, "docs/a") == b"a"
    assert eventually(read, users.other, bucket, "docs/big") == EC_BODY
    keys = eventually(users.other.list_objects_v2, Bucket=bucket)["Contents"]
    assert [o["Key"] for o in keys] == ["docs/a", "docs/big"]
    eventually(users.other.put_object, Bucket=bucket, Key="inbox/1", Body=b"1")
    denied(users.other.put_object, Bucket=bucket, Key="docs/b", Body=b"b")  # Deny wins over the Allow
    eventually(denied, users.owner.put_object, Bucket=bucket, Key="docs/b", Body=b"b")  # ... for the owner too
    denied(users.other.delete_object, Bucket=bucket, Key="docs/a")  # never allowed
    denied(users.anon.get_object, Bucket=bucket, Key="docs/a")
    with pytest.raises(ClientError) as exc:
        users.owner.put_bucket_policy(Bucket=bucket, Policy='{"Statement": [{"Effect": "Allow"}]}')
    assert error(exc) == (400, "MalformedPolicy")
    users.owner.delete_bucket_policy(Bucket=bucket)
    eventually(denied, users.other.get_object, Bucket=bucket, Key="docs/a")


def test_public_read_and_public_access_block(cluster: AllInOne, users: Users, bucket: str) -> None:
    owner, anon = users.owner, users.anon
    arn = f"arn:aws:s3:::{bucket}/*"
    owner.put_object(Bucket=bucket, Key="small", Body=b"s", ACL="public-read")
    owner.put_object(Bucket=bucket, Key="big", Body=EC_BODY)
    owner.put_object_acl(Bucket=bucket, Key="big", ACL="public-read")  # SetObjectAcl on meta's record
    assert requests.get(f"{cluster.endpoint}/{bucket}/small", timeout=10).content == b"s"
    assert read(anon, bucket, "big") == EC_BODY
    denied(anon.list_objects_v2, Bucket=bucket)
    owner.put_bucket_acl(Bucket=bucket, ACL="public-read")
    listed = eventually(anon.list_objects_v2, Bucket=bucket)["Contents"]
    assert {o["Key"] for o in listed} == {"small", "big"}
    pab = {"IgnorePublicAcls": True, "BlockPublicAcls": True}
    owner.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=pab)
    eventually(denied, anon.get_object, Bucket=bucket, Key="small")
    denied(anon.list_objects_v2, Bucket=bucket)
    eventually(denied, owner.put_object, Bucket=bucket, Key="more", Body=b"m", ACL="public-read")
    owner.delete_public_access_block(Bucket=bucket)
    owner.put_bucket_policy(Bucket=bucket, Policy=policy(statement("Allow", "*", "s3:GetObject", arn)))
    assert owner.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    owner.put_object(Bucket=bucket, Key="via-policy", Body=b"p", ACL="private")
    assert eventually(read, anon, bucket, "via-policy") == b"p"
    owner.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    eventually(denied, anon.get_object, Bucket=bucket, Key="via-policy")
    owner.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicPolicy": True})
    eventually(denied, owner.put_bucket_policy, Bucket=bucket, Policy=policy(statement("Allow", "*", "s3:*", arn)))


def test_acl_grants_and_ownership_controls(users: Users, bucket: str) -> None:
    owner, other = users.owner, users.other
    assert owner.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "ObjectWriter"}  # gateway.object_ownership_default
    ]
    owner.put_bucket_acl(Bucket=bucket, GrantWrite=f'id="{users.other_name}"')
    grant = f'id="{users.owner_name}"'
    upload = eventually(other.create_multipart_upload, Bucket=bucket, Key="mp", GrantRead=grant, GrantFullControl=grant)
    part = other.upload_part(Bucket=bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=1, Body=b"part")
    parts = {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}
    other.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload["UploadId"], MultipartUpload=parts)
    acl = other.get_object_acl(Bucket=bucket, Key="mp")  # ObjectWriter: the writer owns it
    assert acl["Owner"]["ID"] == users.other_name
    assert {(g["Grantee"]["ID"], g["Permission"]) for g in acl["Grants"]} == {
        (users.owner_name, "READ"),  # explicit grants replace the default owner FULL_CONTROL, as on AWS
        (users.owner_name, "FULL_CONTROL"),
    }
    denied(other.get_object, Bucket=bucket, Key="mp")  # its owner did not grant itself READ
    owner.put_object(Bucket=bucket, Key="granted", Body=b"g", GrantRead=f'id="{users.other_name}"')
    assert read(other, bucket, "granted") == b"g"
    denied(other.get_object_acl, Bucket=bucket, Key="granted")
    denied(other.get_object, Bucket=bucket, Key="not-there")
    enforced = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    with pytest.raises(ClientError) as exc:  # the bucket ACL still grants WRITE to another user
        owner.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=enforced)
    assert error(exc) == (400, "InvalidBucketAclWithObjectOwnership")
    owner.put_bucket_acl(Bucket=bucket, ACL="private")
    owner.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=enforced)
    owner.put_bucket_policy(
        Bucket=bucket,
        Policy=policy(statement("Allow", {"AWS": users.other_name}, "s3:PutObject", f"arn:aws:s3:::{bucket}/*")),
    )

    def refused() -> None:
        with pytest.raises(ClientError) as exc:
            other.put_object(Bucket=bucket, Key="acl", Body=b"a", ACL="public-read")
        assert error(exc) == (400, "AccessControlListNotSupported")

    eventually(refused)
    denied(other.get_object, Bucket=bucket, Key="granted")  # ACLs no longer count
    other.put_object(Bucket=bucket, Key="enforced", Body=b"e", ACL="bucket-owner-full-control")
    assert owner.get_object_acl(Bucket=bucket, Key="enforced")["Owner"]["ID"] == users.owner_name


def test_awscli_policy_acl_and_public_access_block(cluster: AllInOne, tmp_path: Path) -> None:
    """The same operations as an operator's aws-cli scripts issue them (s3api)."""
    name = f"cli-acc-{uuid.uuid4().hex[:8]}"
    aws(cluster, "s3api", "create-bucket", "--bucket", name, "--object-ownership", "BucketOwnerPreferred")
    (tmp_path / "index.html").write_bytes(b"<h1>hi</h1>")
    aws(cluster, "s3api", "put-object", "--bucket", name, "--key", "index.html", "--body", str(tmp_path / "index.html"))
    text = policy(statement("Allow", "*", "s3:GetObject", f"arn:aws:s3:::{name}/*"))
    aws(cluster, "s3api", "put-bucket-policy", "--bucket", name, "--policy", text)
    assert json.loads(aws(cluster, "s3api", "get-bucket-policy", "--bucket", name).stdout)["Policy"] == text
    status = json.loads(aws(cluster, "s3api", "get-bucket-policy-status", "--bucket", name).stdout)
    assert status["PolicyStatus"]["IsPublic"] is True

    def anonymous_read() -> None:
        assert requests.get(f"{cluster.endpoint}/{name}/index.html", timeout=10).content == b"<h1>hi</h1>"

    eventually(anonymous_read)  # the policy reaches every gateway worker's bucket cache
    block = "BlockPublicAcls=true,IgnorePublicAcls=false,BlockPublicPolicy=true,RestrictPublicBuckets=false"
    aws(cluster, "s3api", "put-public-access-block", "--bucket", name, "--public-access-block-configuration", block)
    refused = aws(cluster, "s3api", "put-bucket-policy", "--bucket", name, "--policy", text, check=False)
    assert refused.returncode != 0 and "AccessDenied" in refused.stderr
    malformed = aws(cluster, "s3api", "put-bucket-policy", "--bucket", name, "--policy", "{}", check=False)
    assert malformed.returncode != 0 and "MalformedPolicy" in malformed.stderr
    acl = json.loads(aws(cluster, "s3api", "get-object-acl", "--bucket", name, "--key", "index.html").stdout)
    assert acl["Owner"]["ID"] == acl["Grants"][0]["Grantee"]["ID"] and acl["Grants"][0]["Permission"] == "FULL_CONTROL"
