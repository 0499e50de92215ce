"""GetObjectAttributes against the real cluster with boto3: ETag, Checksum, ObjectParts (with
part-number-marker and max-parts), StorageClass, ObjectSize, of the latest version or one
``versionId``, and its errors."""

from __future__ import annotations

import base64
import hashlib
import random
import uuid
import zlib
from typing import Any

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.e2e

MIB = 1 << 20
ALL = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]


def _bucket(s3: Any) -> str:
    name = f"attr-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def _code(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_attributes_of_a_plain_object(s3: Any) -> None:
    bucket = _bucket(s3)
    body = b"attributes " * 100
    s3.put_object(Bucket=bucket, Key="k", Body=body, ChecksumAlgorithm="CRC32")
    got = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=ALL)
    assert got["ETag"] == hashlib.md5(body).hexdigest()
    assert got["ObjectSize"] == len(body) and got["StorageClass"] == "STANDARD"
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    assert got["Checksum"]["ChecksumCRC32"] == crc
    assert "ObjectParts" not in got  # not a multipart object
    assert got["LastModified"] is not None
    only = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ObjectSize"])
    assert only["ObjectSize"] == len(body) and "ETag" not in only
    with pytest.raises(ClientError) as excinfo:
        s3.get_object_attributes(Bucket=bucket, Key="absent", ObjectAttributes=["ETag"])
    assert _code(excinfo) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as excinfo:
        s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["Color"])
    assert _code(excinfo) == ("InvalidArgument", 400)


def test_attributes_of_a_multipart_object(s3: Any) -> None:
    bucket = _bucket(s3)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="SHA256")["UploadId"]
    rng = random.Random(11)
    chunks = [rng.randbytes(5 * MIB), rng.randbytes(5 * MIB), rng.randbytes(1000)]
    parts = []
    for number, chunk in enumerate(chunks, start=1):
        reply = s3.upload_part(
            Bucket=bucket, Key="mp", UploadId=upload, PartNumber=number, Body=chunk, ChecksumAlgorithm="SHA256"
        )
        parts.append({"PartNumber": number, "ETag": reply["ETag"], "ChecksumSHA256": reply["ChecksumSHA256"]})
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": parts})
    got = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts", "ObjectSize"], MaxParts=2)
    assert got["ObjectSize"] == sum(len(c) for c in chunks)
    listed = got["ObjectParts"]
    assert listed["TotalPartsCount"] == 3 and listed["IsTruncated"] is True and listed["MaxParts"] == 2
    assert [(p["PartNumber"], p["Size"]) for p in listed["Parts"]] == [(1, 5 * MIB), (2, 5 * MIB)]
    sha = base64.b64encode(hashlib.sha256(chunks[0]).digest()).decode()
    assert listed["Parts"][0]["ChecksumSHA256"] == sha
    rest = s3.get_object_attributes(
        Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"], PartNumberMarker=listed["NextPartNumberMarker"]
    )["ObjectParts"]
    assert [p["PartNumber"] for p in rest["Parts"]] == [3] and rest["IsTruncated"] is False


def test_attributes_of_versions(s3: Any) -> None:
    bucket = _bucket(s3)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"three")
    old = s3.get_object_attributes(Bucket=bucket, Key="k", VersionId=v1, ObjectAttributes=["ObjectSize"])
    assert old["ObjectSize"] == 3 and old["VersionId"] == v1
    assert s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ObjectSize"])["ObjectSize"] == 5
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    with pytest.raises(ClientError) as excinfo:
        s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ETag"])
    assert _code(excinfo) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as excinfo:
        s3.get_object_attributes(Bucket=bucket, Key="k", VersionId=marker, ObjectAttributes=["ETag"])
    assert _code(excinfo)[1] == 405
    with pytest.raises(ClientError) as excinfo:
        s3.get_object_attributes(Bucket=bucket, Key="k", VersionId="0" * 24, ObjectAttributes=["ETag"])
    assert _code(excinfo) == ("NoSuchVersion", 404)
