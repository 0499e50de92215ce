"""Object tagging against the real cluster with boto3: Put/Get/DeleteObjectTagging (also of one
version), x-amz-tagging on PUT and CreateMultipartUpload, x-amz-tagging-directive on CopyObject,
x-amz-tagging-count on GET/HEAD, and AWS's limits (InvalidTag)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.e2e


def _bucket(s3: Any, versioned: bool = False) -> str:
    name = f"tag-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def _code(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def _tags(s3: Any, bucket: str, key: str, **kwargs: Any) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=key, **kwargs)["TagSet"]}


def _tag_set(tags: dict[str, str]) -> dict[str, Any]:
    return {"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}


def test_put_get_delete_tagging(s3: Any) -> None:
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", Tagging="project=alpha&owner=b%20ob")
    assert _tags(s3, bucket, "k") == {"project": "alpha", "owner": "b ob"}
    assert s3.head_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "2"
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["TagCount"] == 2 and got["Body"].read() == b"data"
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=_tag_set({"é": "ü", "empty": ""}))
    assert _tags(s3, bucket, "k") == {"é": "ü", "empty": ""}
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"  # the data is untouched
    s3.delete_object_tagging(Bucket=bucket, Key="k")
    assert _tags(s3, bucket, "k") == {}
    assert "TagCount" not in s3.get_object(Bucket=bucket, Key="k")
    with pytest.raises(ClientError) as excinfo:
        s3.get_object_tagging(Bucket=bucket, Key="absent")
    assert _code(excinfo) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as excinfo:
        s3.put_object_tagging(Bucket=bucket, Key="absent", Tagging=_tag_set({"a": "1"}))
    assert _code(excinfo) == ("NoSuchKey", 404)


@pytest.mark.parametrize(
    "tags",
    [
        {f"k{i}": "v" for i in range(11)},  # more than 10
        {"k" * 129: "v"},  # key longer than 128
        {"k": "v" * 257},  # value longer than 256
        {"aws:reserved": "v"},  # reserved prefix
    ],
)
def test_invalid_tags(s3: Any, tags: dict[str, str]) -> None:
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as excinfo:
        s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=_tag_set(tags))
    assert _code(excinfo) == ("InvalidTag", 400)
    header = "&".join(f"{k}={v}" for k, v in tags.items())
    with pytest.raises(ClientError) as excinfo:
        s3.put_object(Bucket=bucket, Key="k2", Body=b"x", Tagging=header)
    assert _code(excinfo) == ("InvalidTag", 400)


def test_duplicate_keys_and_malformed_documents(s3: Any) -> None:
    bucket = _bucket(s3)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as excinfo:
        s3.put_object_tagging(
            Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]}
        )
    assert _code(excinfo) == ("InvalidTag", 400)


def test_tags_of_versions(s3: Any) -> None:
    bucket = _bucket(s3, versioned=True)
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"1", Tagging="gen=1")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"2")["VersionId"]
    assert _tags(s3, bucket, "k") == {}
    assert _tags(s3, bucket, "k", VersionId=v1) == {"gen": "1"}
    put = s3.put_object_tagging(Bucket=bucket, Key="k", VersionId=v1, Tagging=_tag_set({"gen": "one"}))
    assert put["VersionId"] == v1
    assert s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=_tag_set({"gen": "2"}))["VersionId"] == v2
    assert _tags(s3, bucket, "k", VersionId=v1) == {"gen": "one"}
    assert _tags(s3, bucket, "k") == {"gen": "2"}
    assert s3.delete_object_tagging(Bucket=bucket, Key="k", VersionId=v1)["VersionId"] == v1
    assert _tags(s3, bucket, "k", VersionId=v1) == {} and _tags(s3, bucket, "k") == {"gen": "2"}
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    with pytest.raises(ClientError) as excinfo:
        s3.put_object_tagging(Bucket=bucket, Key="k", VersionId=marker, Tagging=_tag_set({"a": "b"}))
    assert _code(excinfo) == ("MethodNotAllowed", 405)
    with pytest.raises(ClientError) as excinfo:
        s3.get_object_tagging(Bucket=bucket, Key="k")
    assert _code(excinfo) == ("NoSuchKey", 404)


def test_multipart_and_copy_tagging(s3: Any) -> None:
    bucket = _bucket(s3)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", Tagging="from=upload")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"part")["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    assert _tags(s3, bucket, "mp") == {"from": "upload"}
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "mp"})
    assert _tags(s3, bucket, "copy") == {"from": "upload"}  # COPY is the default directive
    s3.copy_object(
        Bucket=bucket, Key="replaced", CopySource={"Bucket": bucket, "Key": "mp"},
        TaggingDirective="REPLACE", Tagging="new=1",
    )  # fmt: skip
    assert _tags(s3, bucket, "replaced") == {"new": "1"}
    s3.copy_object(Bucket=bucket, Key="none", CopySource={"Bucket": bucket, "Key": "mp"}, TaggingDirective="REPLACE")
    assert _tags(s3, bucket, "none") == {}
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "mp"}, TaggingDirective="MOVE")
    assert _code(excinfo) == ("InvalidArgument", 400)
