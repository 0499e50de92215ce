"""CopyObject against the real cluster: within and across buckets, metadata directives, copy
onto itself, the x-amz-copy-source-if-* preconditions, and copies of multipart objects."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.e2e

MIB = 1 << 20


def _bucket(s3: Any) -> str:
    name = f"cp-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def _code(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_copy_within_and_across_buckets(s3: Any) -> None:
    src, dst = _bucket(s3), _bucket(s3)
    body = random.Random(1).randbytes(3 * MIB + 17)  # erasure-coded, more than one stripe unit
    s3.put_object(Bucket=src, Key="dir/a b+é", Body=body, ContentType="text/x-src", Metadata={"m": "1"})
    result = s3.copy_object(Bucket=src, Key="same", CopySource={"Bucket": src, "Key": "dir/a b+é"})
    assert result["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert isinstance(result["CopyObjectResult"]["LastModified"], dt.datetime)
    other = s3.copy_object(Bucket=dst, Key="copied", CopySource=f"{src}/dir/a b+é")
    assert other["CopyObjectResult"]["ETag"] == result["CopyObjectResult"]["ETag"]
    for bucket, key in ((src, "same"), (dst, "copied")):
        got = s3.get_object(Bucket=bucket, Key=key)
        assert got["Body"].read() == body
        assert got["ContentType"] == "text/x-src" and got["Metadata"] == {"m": "1"}
    s3.delete_object(Bucket=src, Key="dir/a b+é")  # the copies own their data
    assert s3.get_object(Bucket=dst, Key="copied")["Body"].read() == body


def test_metadata_directive_and_self_copy(s3: Any) -> None:
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="k", Body=b"small", ContentType="text/plain", Metadata={"old": "1"})
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=bucket, Key="k", CopySource=f"{bucket}/k")
    assert _code(excinfo) == ("InvalidRequest", 400)
    s3.copy_object(
        Bucket=bucket, Key="k", CopySource=f"{bucket}/k", MetadataDirective="REPLACE",
        ContentType="application/x-new", Metadata={"new": "2"},
    )  # fmt: skip
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ContentType"] == "application/x-new" and head["Metadata"] == {"new": "2"}
    s3.copy_object(Bucket=bucket, Key="k2", CopySource=f"{bucket}/k", Metadata={"ignored": "x"})
    assert s3.head_object(Bucket=bucket, Key="k2")["Metadata"] == {"new": "2"}  # COPY is the default
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"small"
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=bucket, Key="x", CopySource=f"{bucket}/missing")
    assert _code(excinfo) == ("NoSuchKey", 404)


def test_copy_source_conditions(s3: Any) -> None:
    bucket = _bucket(s3)
    etag = s3.put_object(Bucket=bucket, Key="src", Body=b"conditional")["ETag"]
    source = f"{bucket}/src"
    past = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    failing: list[dict[str, Any]] = [
        {"CopySourceIfMatch": '"0123"'},
        {"CopySourceIfNoneMatch": etag},
        {"CopySourceIfModifiedSince": future},
        {"CopySourceIfUnmodifiedSince": past},
    ]
    for condition in failing:
        with pytest.raises(ClientError) as excinfo:
            s3.copy_object(Bucket=bucket, Key="dst", CopySource=source, **condition)
        assert _code(excinfo) == ("PreconditionFailed", 412), condition
    passing: list[dict[str, Any]] = [
        {"CopySourceIfMatch": etag},
        {"CopySourceIfNoneMatch": '"0123"'},
        {"CopySourceIfModifiedSince": past},
        {"CopySourceIfUnmodifiedSince": future},
        {"CopySourceIfMatch": etag, "CopySourceIfUnmodifiedSince": past},  # if-match wins (AWS)
    ]
    for condition in passing:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource=source, **condition)
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"conditional"


def test_copy_of_a_multipart_object(s3: Any) -> None:
    bucket = _bucket(s3)
    parts = [random.Random(9).randbytes(5 * MIB), b"tail"]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    etags = [
        s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=n + 1, Body=p)["ETag"]
        for n, p in enumerate(parts)
    ]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]},
    )  # fmt: skip
    copied = s3.copy_object(Bucket=bucket, Key="flat", CopySource=f"{bucket}/mp")["CopyObjectResult"]
    data = b"".join(parts)
    assert copied["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'  # re-encoded as one plain object
    assert s3.get_object(Bucket=bucket, Key="flat")["Body"].read() == data
