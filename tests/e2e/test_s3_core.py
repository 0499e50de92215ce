"""S3 core against the real cluster with boto3: buckets, objects of every size class, listing,
authentication failures."""

from __future__ import annotations

import hashlib
import os
import random
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from objectio.cli.aio import AllInOne
from tests.e2e.conftest import s3_client

pytestmark = pytest.mark.e2e


def _bucket(s3: Any) -> str:
    name = f"t-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def _error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_bucket_lifecycle(s3: Any) -> None:
    name = _bucket(s3)
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.head_bucket(Bucket=name)
    with pytest.raises(ClientError) as excinfo:
        s3.create_bucket(Bucket=name)
    assert _error_code(excinfo) == ("BucketAlreadyOwnedByYou", 409)
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    with pytest.raises(ClientError) as excinfo:
        s3.delete_bucket(Bucket=name)
    assert _error_code(excinfo) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket=name, Key="k")
    s3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as excinfo:
        s3.head_bucket(Bucket=name)
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=name, Key="k")
    assert _error_code(excinfo) == ("NoSuchBucket", 404)


def test_invalid_bucket_name(s3: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        s3.create_bucket(Bucket="Bad_Name")
    assert _error_code(excinfo) == ("InvalidBucketName", 400)


@pytest.mark.parametrize("size", [0, 1, 4096, 16 * 1024 + 1, (1 << 20) + 1, 100 * (1 << 20)])
def test_objects_read_back_byte_exact(s3: Any, size: int) -> None:
    bucket = _bucket(s3)
    body = random.Random(size).randbytes(size)
    put = s3.put_object(Bucket=bucket, Key=f"obj-{size}", Body=body)
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key=f"obj-{size}")
    data = got["Body"].read()
    assert len(data) == size
    assert data == body
    assert got["ETag"] == put["ETag"]
    head = s3.head_object(Bucket=bucket, Key=f"obj-{size}")
    assert head["ContentLength"] == size


def test_ranged_get_reads_the_right_bytes(s3: Any) -> None:
    bucket = _bucket(s3)
    body = os.urandom(9 * (1 << 20) + 123)  # crosses stripe boundaries of RS 4+2
    s3.put_object(Bucket=bucket, Key="big", Body=body)
    for first, last in [(0, 0), (5, 4_193_990), (4_193_983, 4_193_985), (len(body) - 10, len(body) - 1)]:
        got = s3.get_object(Bucket=bucket, Key="big", Range=f"bytes={first}-{last}")
        assert got["Body"].read() == body[first : last + 1]
        assert got["ContentRange"] == f"bytes {first}-{last}/{len(body)}"


def test_overwrite_and_delete(s3: Any) -> None:
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="k", Body=b"a" * 100_000)
    s3.put_object(Bucket=bucket, Key="k", Body=b"b" * 10)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"b" * 10
    s3.delete_object(Bucket=bucket, Key="k")
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="k")
    assert _error_code(excinfo) == ("NoSuchKey", 404)
    s3.delete_object(Bucket=bucket, Key="k")  # deleting an absent key succeeds


def test_user_metadata_and_content_type(s3: Any) -> None:
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="m", Body=b"x" * 50_000, ContentType="text/plain", Metadata={"color": "blue"})
    head = s3.head_object(Bucket=bucket, Key="m")
    assert head["ContentType"] == "text/plain"
    assert head["Metadata"] == {"color": "blue"}


def test_listing_with_prefixes_delimiters_and_pagination(s3: Any) -> None:
    bucket = _bucket(s3)
    keys = sorted([f"dir{d}/sub{s}/file{f:03d}" for d in range(5) for s in range(5) for f in range(100)])
    assert len(keys) == 2500
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=k.encode()), keys))
    listed: list[str] = []
    pages = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 1000}):
        listed += [o["Key"] for o in page.get("Contents", [])]
        pages += 1
    assert listed == keys
    assert pages == 3
    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == [f"dir{d}/" for d in range(5)]
    assert "Contents" not in top
    sub = s3.list_objects_v2(Bucket=bucket, Prefix="dir3/", Delimiter="/")
    assert [p["Prefix"] for p in sub["CommonPrefixes"]] == [f"dir3/sub{s}/" for s in range(5)]
    leaf = s3.list_objects_v2(Bucket=bucket, Prefix="dir3/sub2/", MaxKeys=30)
    assert [o["Key"] for o in leaf["Contents"]] == [f"dir3/sub2/file{f:03d}" for f in range(30)]
    assert leaf["IsTruncated"] is True
    after = s3.list_objects_v2(Bucket=bucket, Prefix="dir3/sub2/", StartAfter="dir3/sub2/file097")
    assert [o["Key"] for o in after["Contents"]] == ["dir3/sub2/file098", "dir3/sub2/file099"]


def test_wrong_secret_is_refused(cluster: AllInOne) -> None:
    bad = s3_client(cluster, secret="not-the-secret")
    with pytest.raises(ClientError) as excinfo:
        bad.list_buckets()  # type: ignore[attr-defined]
    assert _error_code(excinfo) == ("SignatureDoesNotMatch", 403)


def test_unknown_access_key_is_refused(cluster: AllInOne) -> None:
    bad = s3_client(cluster, access="AKIAUNKNOWN000000000", secret="whatever")
    with pytest.raises(ClientError) as excinfo:
        bad.list_buckets()  # type: ignore[attr-defined]
    assert _error_code(excinfo) == ("InvalidAccessKeyId", 403)
