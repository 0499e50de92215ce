"""Functional: boto3 (default config) against the real app over HTTP and HTTPS."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from s3_harness import BOB, Server


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    code: str = exc.value.response["Error"]["Code"]
    return code


def test_bucket_lifecycle(s3: Any) -> None:
    name = f"life-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.head_bucket(Bucket=name)
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=name)
    assert error_code(exc) == "BucketAlreadyOwnedByYou"
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=name)
    assert error_code(exc) == "BucketNotEmpty"
    s3.delete_object(Bucket=name, Key="k")
    s3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket=name)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_put_get_roundtrip_with_metadata(s3: Any, bucket: str) -> None:
    data = bytes(range(256)) * 300
    put = s3.put_object(
        Bucket=bucket,
        Key="dir/obj.bin",
        Body=data,
        ContentType="application/x-test",
        Metadata={"colour": "blue"},
        CacheControl="max-age=60",
        ContentDisposition="attachment",
        ContentLanguage="en",
    )
    assert put["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="dir/obj.bin")
    assert got["Body"].read() == data
    assert got["ContentType"] == "application/x-test"
    assert got["Metadata"] == {"colour": "blue"}
    assert got["CacheControl"] == "max-age=60"
    assert got["ContentDisposition"] == "attachment"
    assert got["ContentLanguage"] == "en"
    assert got["ETag"] == put["ETag"]
    head = s3.head_object(Bucket=bucket, Key="dir/obj.bin")
    assert head["ContentLength"] == len(data)


def test_body_reaches_backend_in_bounded_chunks(server: Server, s3: Any, bucket: str) -> None:
    server.backend.put_chunk_sizes.clear()
    s3.put_object(Bucket=bucket, Key="big", Body=b"z" * 200_000)
    assert max(server.backend.put_chunk_sizes) <= server.config.body_chunk_bytes


def test_ranges(s3: Any, bucket: str) -> None:
    data = b"0123456789"
    s3.put_object(Bucket=bucket, Key="r", Body=data)
    got = s3.get_object(Bucket=bucket, Key="r", Range="bytes=2-4")
    assert got["Body"].read() == b"234"
    assert got["ContentRange"] == "bytes 2-4/10"
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=-3")["Body"].read() == b"789"
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=7-")["Body"].read() == b"789"
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=0-1,4-5")["Body"].read() == data
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=10-")
    assert error_code(exc) == "InvalidRange"
    assert exc.value.response["ResponseMetadata"]["HTTPHeaders"]["content-range"] == "bytes */10"


def test_conditional_get(s3: Any, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"abc")["ETag"]
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"nope"')
    assert error_code(exc) == "PreconditionFailed"
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"abc"


def test_conditional_put(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="once", Body=b"1", IfNoneMatch="*")
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="once", Body=b"2", IfNoneMatch="*")
    assert error_code(exc) == "PreconditionFailed"


def test_missing_objects_and_buckets(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="absent")
    assert error_code(exc) == "NoSuchKey"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket="no-such-bucket-here", Key="k")
    assert error_code(exc) == "NoSuchBucket"
    s3.delete_object(Bucket=bucket, Key="absent")  # deleting an absent key succeeds


def test_buckets_are_private(server: Server, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="secret", Body=b"s")
    bob = server.client(BOB)
    with pytest.raises(ClientError) as exc:
        bob.get_object(Bucket=bucket, Key="secret")
    assert error_code(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        bob.create_bucket(Bucket=bucket)
    assert error_code(exc) == "BucketAlreadyExists"
    assert bucket not in [b["Name"] for b in bob.list_buckets()["Buckets"]]


def test_delete_objects(s3: Any, bucket: str) -> None:
    for i in range(5):
        s3.put_object(Bucket=bucket, Key=f"d/{i}", Body=b"x")
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": f"d/{i}"} for i in range(3)]})
    assert sorted(d["Key"] for d in result["Deleted"]) == ["d/0", "d/1", "d/2"]
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d/3"}], "Quiet": True})
    assert "Deleted" not in quiet
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["d/4"]


def test_checksums_stored_and_returned(s3: Any, bucket: str) -> None:
    for algorithm in ("CRC32", "SHA1", "SHA256"):  # CRC32C needs botocore[crt]: see test_s3_raw
        put = s3.put_object(Bucket=bucket, Key=f"sum-{algorithm}", Body=b"hello world", ChecksumAlgorithm=algorithm)
        head = s3.head_object(Bucket=bucket, Key=f"sum-{algorithm}", ChecksumMode="ENABLED")
        assert head[f"Checksum{algorithm}"] == put[f"Checksum{algorithm}"]
    ranged = s3.get_object(Bucket=bucket, Key="sum-SHA256", Range="bytes=0-3", ChecksumMode="ENABLED")
    assert "ChecksumSHA256" not in ranged
    assert ranged["Body"].read() == b"hell"


def test_tls_trailer_checksums(tls_server: Server) -> None:
    """Over HTTPS boto3 sends STREAMING-UNSIGNED-PAYLOAD-TRAILER with an x-amz-checksum trailer."""
    s3 = tls_server.client()
    s3.create_bucket(Bucket="tls-bucket")
    data = b"q" * 100_000
    s3.put_object(Bucket="tls-bucket", Key="t", Body=data)
    s3.put_object(Bucket="tls-bucket", Key="c", Body=data, ChecksumAlgorithm="SHA256")
    assert s3.get_object(Bucket="tls-bucket", Key="t")["Body"].read() == data
    head = s3.head_object(Bucket="tls-bucket", Key="c", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"]
    info = tls_server.backend.objects["tls-bucket"]["t"][0]
    assert "x-amz-checksum-crc32" in info.headers
    assert "content-encoding" not in info.headers  # aws-chunked is not an object encoding


def test_presigned_urls(server: Server, bucket: str) -> None:
    import requests

    s3 = server.client(signature_version="s3v4")
    v2_url = server.client().generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    assert b"InvalidRequest" in requests.get(v2_url, timeout=5).content

    s3.put_object(Bucket=bucket, Key="p k+?", Body=b"presigned")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "p k+?"}, ExpiresIn=60)
    assert requests.get(url, timeout=5).content == b"presigned"
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "up"}, ExpiresIn=60)
    assert requests.put(put_url, data=b"via-url", timeout=5).status_code == 200
    assert s3.get_object(Bucket=bucket, Key="up")["Body"].read() == b"via-url"
    tampered = url.replace("X-Amz-Expires=60", "X-Amz-Expires=61")
    assert b"SignatureDoesNotMatch" in requests.get(tampered, timeout=5).content


def test_stored_headers_and_response_overrides(s3: Any, bucket: str) -> None:
    import datetime

    expires = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    s3.put_object(Bucket=bucket, Key="h", Body=b"gz", ContentEncoding="gzip", Expires=expires)
    head = s3.head_object(Bucket=bucket, Key="h")
    assert head["ContentEncoding"] == "gzip"
    assert head["ResponseMetadata"]["HTTPHeaders"]["expires"] == "Tue, 01 Jan 2030 00:00:00 GMT"
    got = s3.get_object(
        Bucket=bucket,
        Key="h",
        ResponseContentType="text/plain",
        ResponseContentDisposition='attachment; filename="x.txt"',
        ResponseCacheControl="no-cache",
    )
    assert got["ContentType"] == "text/plain"
    assert got["ContentDisposition"] == 'attachment; filename="x.txt"'
    assert got["CacheControl"] == "no-cache"


def test_empty_and_larger_objects_over_tls(tls_server: Server) -> None:
    s3 = tls_server.client()
    s3.create_bucket(Bucket="tls-sizes")
    for size in (0, 1, 3 * 1024 * 1024 + 7):
        data = bytes(i % 251 for i in range(size))
        s3.put_object(Bucket="tls-sizes", Key=f"o{size}", Body=data)
        assert s3.get_object(Bucket="tls-sizes", Key=f"o{size}")["Body"].read() == data


def test_expected_bucket_owner(s3: Any, bucket: str) -> None:
    s3.head_bucket(Bucket=bucket, ExpectedBucketOwner="alice")
    with pytest.raises(ClientError) as exc:
        s3.list_objects_v2(Bucket=bucket, ExpectedBucketOwner="bob")
    assert error_code(exc) == "AccessDenied"


def test_http2_over_tls(tls_server: Server) -> None:
    import httpx
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from s3_harness import ALICE, REGION

    url = f"{tls_server.url}/"
    request = AWSRequest(method="GET", url=url, headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    S3SigV4Auth(Credentials(ALICE.access_key, ALICE.secret_key), "s3", REGION).add_auth(request)
    import ssl

    with httpx.Client(http2=True, verify=ssl.create_default_context(cafile=tls_server.ca_file)) as client:
        response = client.get(url, headers=dict(request.headers))
    assert response.http_version == "HTTP/2"
    assert response.status_code == 200
    assert b"ListAllMyBucketsResult" in response.content


def test_copy_object(server: Server, s3: Any, bucket: str) -> None:
    data = b"copy me " * 5000
    s3.put_object(Bucket=bucket, Key="src", Body=data, ContentType="text/x-src", Metadata={"m": "1"})
    result = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert result["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == data
    assert (got["ContentType"], got["Metadata"]) == ("text/x-src", {"m": "1"})
    s3.copy_object(
        Bucket=bucket,
        Key="dst2",
        CopySource=f"{bucket}/src",
        MetadataDirective="REPLACE",
        ContentType="text/x-new",
        Metadata={"n": "2"},
    )
    replaced = s3.head_object(Bucket=bucket, Key="dst2")
    assert (replaced["ContentType"], replaced["Metadata"]) == ("text/x-new", {"n": "2"})
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"})
    assert error_code(exc) == "InvalidRequest"
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="d3", CopySource={"Bucket": bucket, "Key": "src"}, CopySourceIfMatch='"x"')
    assert error_code(exc) == "PreconditionFailed"
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="d4", CopySource={"Bucket": bucket, "Key": "absent"})
    assert error_code(exc) == "NoSuchKey"
    bob = server.client(BOB)
    bob.create_bucket(Bucket=f"{bucket}-bob")
    with pytest.raises(ClientError) as exc:
        bob.copy_object(Bucket=f"{bucket}-bob", Key="stolen", CopySource={"Bucket": bucket, "Key": "src"})
    assert error_code(exc) == "AccessDenied"


def test_read_only_subresources(s3: Any, bucket: str) -> None:
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    acl = s3.get_bucket_acl(Bucket=bucket)
    assert acl["Owner"]["ID"] == "alice"
    assert [(g["Grantee"]["ID"], g["Permission"]) for g in acl["Grants"]] == [("alice", "FULL_CONTROL")]
    for call, code in (
        (s3.get_bucket_policy, "NoSuchBucketPolicy"),
        (s3.get_bucket_cors, "NoSuchCORSConfiguration"),
        (s3.get_bucket_lifecycle_configuration, "NoSuchLifecycleConfiguration"),
        (s3.get_bucket_tagging, "NoSuchTagSet"),
        (s3.get_bucket_encryption, "ServerSideEncryptionConfigurationNotFoundError"),
        (s3.get_object_lock_configuration, "ObjectLockConfigurationNotFoundError"),
    ):
        with pytest.raises(ClientError) as exc:
            call(Bucket=bucket)
        assert error_code(exc) == code
    s3.put_object(Bucket=bucket, Key="o", Body=b"x")
    assert s3.get_object_tagging(Bucket=bucket, Key="o")["TagSet"] == []
    assert s3.get_object_acl(Bucket=bucket, Key="o")["Grants"][0]["Permission"] == "FULL_CONTROL"
    with pytest.raises(ClientError) as exc:
        s3.get_object_acl(Bucket=bucket, Key="absent")
    assert error_code(exc) == "NoSuchKey"


def test_list_object_versions_of_an_unversioned_bucket(s3: Any, bucket: str) -> None:
    for key in ("a", "b/1", "b/2", "c"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    page = s3.list_object_versions(Bucket=bucket, MaxKeys=2)
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in page["Versions"]] == [
        ("a", "null", True),
        ("b/1", "null", True),
    ]
    assert page["IsTruncated"] and page["NextKeyMarker"] == "b/1"
    rest = s3.list_object_versions(Bucket=bucket, KeyMarker=page["NextKeyMarker"], VersionIdMarker="null")
    assert [v["Key"] for v in rest["Versions"]] == ["b/2", "c"]
    grouped = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["b/"]


def test_rejected_put_before_the_body_keeps_the_client_working(server: Server, s3: Any, bucket: str) -> None:
    bob = server.client(BOB)
    for _ in range(3):
        with pytest.raises(ClientError) as exc:
            s3.put_object(Bucket="no-such-bucket-put", Key="k", Body=b"b" * 200_000)
        assert error_code(exc) == "NoSuchBucket"
        with pytest.raises(ClientError) as exc:
            bob.put_object(Bucket=bucket, Key="k", Body=b"b" * 200_000)
        assert error_code(exc) == "AccessDenied"
        s3.put_object(Bucket=bucket, Key="after", Body=b"a" * 200_000)
        assert bob.list_buckets()["Buckets"] is not None
    assert s3.get_object(Bucket=bucket, Key="after")["Body"].read() == b"a" * 200_000
