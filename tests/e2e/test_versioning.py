"""Bucket versioning against the real cluster with boto3: Put/GetBucketVersioning, version ids on
PUT, delete markers, ListObjectVersions, GET/HEAD/DELETE by versionId, the null version when
suspended, copies from a version, DeleteObjects with VersionId, multipart completion, and the
error paths (NoSuchVersion, 405 on a delete marker, InvalidArgument for a bad id); and the same
through aws-cli."""

from __future__ import annotations

import json
import random
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from objectio.cli.aio import AllInOne
from tests.e2e.test_awscli import aws

pytestmark = pytest.mark.e2e

MIB = 1 << 20
BUCKET_CACHE_SECONDS = 5.0  # datapath.bucket_cache_seconds: other gateway workers see a change this late


def _code(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def _headers(excinfo: pytest.ExceptionInfo[ClientError]) -> dict[str, str]:
    headers: dict[str, str] = excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]
    return headers


def _bucket(s3: Any, status: str | None = "Enabled") -> str:
    name = f"ver-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    if status is not None:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
    return name


def _versions(s3: Any, bucket: str, **kwargs: Any) -> list[tuple[str, str, bool, bool]]:
    """(key, version id, is delete marker, is latest) in listing order (by key, newest first)."""
    reply = s3.list_object_versions(Bucket=bucket, **kwargs)
    entries = [(v["Key"], v["VersionId"], False, v["IsLatest"], v["LastModified"]) for v in reply.get("Versions", [])]
    entries += [
        (m["Key"], m["VersionId"], True, m["IsLatest"], m["LastModified"]) for m in reply.get("DeleteMarkers", [])
    ]
    # boto3 splits versions and markers; the wire order is by key then newest first
    entries.sort(key=lambda e: (e[0].encode(), -e[4].timestamp(), e[1]))
    return [e[:4] for e in entries]


def test_versioning_configuration(s3: Any) -> None:
    bucket = _bucket(s3, status=None)
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    deadline = time.monotonic() + BUCKET_CACHE_SECONDS + 2
    while s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    with pytest.raises(ClientError) as excinfo:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Off"})
    assert _code(excinfo) == ("IllegalVersioningConfigurationException", 400)
    with pytest.raises(ClientError) as excinfo:
        s3.put_bucket_versioning(Bucket=f"nope-{uuid.uuid4().hex[:8]}", VersioningConfiguration={"Status": "Enabled"})
    assert _code(excinfo) == ("NoSuchBucket", 404)


def test_versions_markers_and_gets_by_version(s3: Any) -> None:
    bucket = _bucket(s3)
    big = random.Random(3).randbytes(2 * MIB + 5)  # erasure-coded versions too
    v1 = s3.put_object(Bucket=bucket, Key="doc", Body=b"first")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="doc", Body=big)["VersionId"]
    assert v1 != v2 and v1 != "null"
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == big
    got = s3.get_object(Bucket=bucket, Key="doc", VersionId=v1)
    assert got["Body"].read() == b"first" and got["VersionId"] == v1
    assert s3.head_object(Bucket=bucket, Key="doc", VersionId=v2)["ContentLength"] == len(big)
    ranged = s3.get_object(Bucket=bucket, Key="doc", VersionId=v2, Range="bytes=10-19")
    assert ranged["Body"].read() == big[10:20]

    deleted = s3.delete_object(Bucket=bucket, Key="doc")
    marker = deleted["VersionId"]
    assert deleted["DeleteMarker"] is True and marker not in (v1, v2)
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="doc")
    assert _code(excinfo) == ("NoSuchKey", 404)
    assert _headers(excinfo)["x-amz-delete-marker"] == "true"
    assert _headers(excinfo)["x-amz-version-id"] == marker
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=bucket, Key="doc", VersionId=marker)
    assert _code(excinfo)[1] == 405
    assert _headers(excinfo)["x-amz-delete-marker"] == "true"
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="doc", VersionId=marker)
    assert _code(excinfo) == ("MethodNotAllowed", 405)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert _versions(s3, bucket) == [
        ("doc", marker, True, True), ("doc", v2, False, False), ("doc", v1, False, False)
    ]  # fmt: skip
    with pytest.raises(ClientError) as excinfo:
        s3.delete_bucket(Bucket=bucket)
    assert _code(excinfo) == ("BucketNotEmpty", 409)

    # removing the marker brings v2 back; removing v2 for good leaves v1
    removed = s3.delete_object(Bucket=bucket, Key="doc", VersionId=marker)
    assert removed["VersionId"] == marker and removed["DeleteMarker"] is True
    assert s3.get_object(Bucket=bucket, Key="doc")["VersionId"] == v2
    assert s3.delete_object(Bucket=bucket, Key="doc", VersionId=v2)["VersionId"] == v2
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"first"
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="doc", VersionId=v2)
    assert _code(excinfo) == ("NoSuchVersion", 404)
    assert s3.delete_object(Bucket=bucket, Key="doc", VersionId=v2)["VersionId"] == v2  # gone: still 204
    for bad in ("not-a-version", "0" * 5):
        with pytest.raises(ClientError) as excinfo:
            s3.get_object(Bucket=bucket, Key="doc", VersionId=bad)
        assert _code(excinfo) == ("InvalidArgument", 400)
    s3.delete_object(Bucket=bucket, Key="doc", VersionId=v1)
    s3.delete_bucket(Bucket=bucket)


def test_suspended_bucket_keeps_one_null_version(s3: Any) -> None:
    bucket = _bucket(s3, status=None)
    s3.put_object(Bucket=bucket, Key="k", Body=b"pre-versioning")  # the null version
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"v1")["VersionId"]
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"pre-versioning"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"null-1")
    assert put["VersionId"] == "null"
    s3.put_object(Bucket=bucket, Key="k", Body=b"null-2")  # overwrites the null version
    assert _versions(s3, bucket) == [("k", "null", False, True), ("k", v1, False, False)]
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"null-2"
    deleted = s3.delete_object(Bucket=bucket, Key="k")  # a null delete marker replaces it
    assert deleted["DeleteMarker"] is True and deleted["VersionId"] == "null"
    assert _versions(s3, bucket) == [("k", "null", True, True), ("k", v1, False, False)]
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=v1)["Body"].read() == b"v1"


def test_list_object_versions_pagination_and_prefixes(s3: Any) -> None:
    bucket = _bucket(s3)
    expected = []
    for key in ("a/1", "a/2", "b", "c"):
        ids = [s3.put_object(Bucket=bucket, Key=key, Body=key.encode() * n)["VersionId"] for n in (1, 2)]
        expected += [(key, ids[1], False, True), (key, ids[0], False, False)]
    pages, got, kwargs = 0, [], dict[str, str]()
    while True:
        reply = s3.list_object_versions(Bucket=bucket, MaxKeys=3, **kwargs)
        got += [(v["Key"], v["VersionId"], False, v["IsLatest"]) for v in reply.get("Versions", [])]
        pages += 1
        if not reply["IsTruncated"]:
            break
        kwargs = {"KeyMarker": reply["NextKeyMarker"], "VersionIdMarker": reply["NextVersionIdMarker"]}
    assert got == expected and pages == 3
    rolled = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["a/"]
    assert {v["Key"] for v in rolled["Versions"]} == {"b", "c"}
    assert [v["Key"] for v in s3.list_object_versions(Bucket=bucket, Prefix="a/2")["Versions"]] == ["a/2", "a/2"]
    with pytest.raises(ClientError) as excinfo:
        s3.list_object_versions(Bucket=bucket, VersionIdMarker=expected[0][1])
    assert _code(excinfo) == ("InvalidArgument", 400)


def test_unversioned_bucket_lists_null_versions(s3: Any) -> None:
    bucket = _bucket(s3, status=None)
    put = s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    assert "VersionId" not in put  # a never-versioned bucket sends no version header
    assert _versions(s3, bucket) == [("plain", "null", False, True)]
    assert s3.get_object(Bucket=bucket, Key="plain", VersionId="null")["Body"].read() == b"x"
    assert "DeleteMarker" not in s3.delete_object(Bucket=bucket, Key="plain")
    assert _versions(s3, bucket) == []


def test_copy_from_a_version_and_delete_objects_with_versions(s3: Any) -> None:
    bucket = _bucket(s3)
    old = s3.put_object(Bucket=bucket, Key="src", Body=b"old")["VersionId"]
    s3.put_object(Bucket=bucket, Key="src", Body=b"new")
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src", "VersionId": old})
    assert copied["CopySourceVersionId"] == old and copied["VersionId"] not in ("null", old)
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"old"
    restored = s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src", "VersionId": old})
    assert s3.get_object(Bucket=bucket, Key="src")["VersionId"] == restored["VersionId"]
    marker = s3.delete_object(Bucket=bucket, Key="gone")["VersionId"]  # a marker even for a missing key
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "gone", "VersionId": marker})
    assert _code(excinfo) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as excinfo:
        s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "gone"})
    assert _code(excinfo) == ("NoSuchKey", 404)

    result = s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": "src", "VersionId": old}, {"Key": "dst"}, {"Key": "gone", "VersionId": marker}]},
    )
    deleted = {(d["Key"], d.get("VersionId")): d for d in result["Deleted"]}
    assert deleted[("src", old)].get("DeleteMarker") is None
    assert deleted[("dst", None)]["DeleteMarker"] is True and deleted[("dst", None)]["DeleteMarkerVersionId"]
    assert deleted[("gone", marker)]["DeleteMarker"] is True
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key="src", VersionId=old)
    assert _code(excinfo) == ("NoSuchVersion", 404)
    bad = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "src", "VersionId": "bad id"}]})
    assert bad["Errors"][0]["Code"] == "InvalidArgument"


def test_multipart_completion_creates_a_version(s3: Any) -> None:
    bucket = _bucket(s3)
    first = s3.put_object(Bucket=bucket, Key="mp", Body=b"small first")["VersionId"]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    body = random.Random(5).randbytes(5 * MIB + 100)
    parts = []
    for number, chunk in enumerate((body[: 5 * MIB], body[5 * MIB :]), start=1):
        etag = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=number, Body=chunk)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": parts})
    assert done["VersionId"] not in (first, "null")
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == body
    assert s3.get_object(Bucket=bucket, Key="mp", VersionId=first)["Body"].read() == b"small first"
    # UploadPartCopy from the old version
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp2")["UploadId"]
    part = s3.upload_part_copy(
        Bucket=bucket, Key="mp2", UploadId=upload, PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "mp", "VersionId": first},
    )  # fmt: skip
    assert part["CopySourceVersionId"] == first
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mp2", UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["CopyPartResult"]["ETag"]}]},
    )  # fmt: skip
    assert s3.get_object(Bucket=bucket, Key="mp2")["Body"].read() == b"small first"


def test_versions_through_awscli(cluster: AllInOne, tmp_path: Path) -> None:
    bucket = f"ver-cli-{uuid.uuid4().hex[:8]}"
    aws(cluster, "s3api", "create-bucket", "--bucket", bucket)
    aws(cluster, "s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled")
    body = tmp_path / "body"
    ids = []
    for text in (b"one", b"two"):
        body.write_bytes(text)
        put = aws(
            cluster, "s3api", "put-object", "--bucket", bucket, "--key", "k", "--body", str(body), "--tagging", "t=1"
        )
        ids.append(json.loads(put.stdout)["VersionId"])
    listed = json.loads(aws(cluster, "s3api", "list-object-versions", "--bucket", bucket).stdout)
    assert [v["VersionId"] for v in listed["Versions"]] == ids[::-1]
    out = tmp_path / "out"
    aws(cluster, "s3api", "get-object", "--bucket", bucket, "--key", "k", "--version-id", ids[0], str(out))
    assert out.read_bytes() == b"one"
    tags = json.loads(aws(cluster, "s3api", "get-object-tagging", "--bucket", bucket, "--key", "k").stdout)
    assert tags["TagSet"] == [{"Key": "t", "Value": "1"}]
    deleted = json.loads(aws(cluster, "s3api", "delete-object", "--bucket", bucket, "--key", "k").stdout)
    assert deleted["DeleteMarker"] is True
    missing = aws(cluster, "s3api", "get-object", "--bucket", bucket, "--key", "k", str(out), check=False)
    assert missing.returncode != 0 and "NoSuchKey" in missing.stderr
