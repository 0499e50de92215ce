"""Functional: multipart uploads through boto3's transfer manager and the low-level calls."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError
from s3_harness import Server

MIB = 1024 * 1024


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    value: str = exc.value.response["Error"]["Code"]
    return value


def test_transfer_manager_multipart(server: Server, s3: Any, bucket: str) -> None:
    data = bytes(range(256)) * (5 * MIB // 256) + b"tail" * 31
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, max_concurrency=3)
    s3.upload_fileobj(io.BytesIO(data), bucket, "big", Config=config, ExtraArgs={"Metadata": {"kind": "mpu"}})
    head = s3.head_object(Bucket=bucket, Key="big")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-2"')
    assert head["Metadata"] == {"kind": "mpu"}
    out = io.BytesIO()
    s3.download_fileobj(bucket, "big", out, Config=config)
    assert out.getvalue() == data
    assert not server.backend.uploads


def test_low_level_multipart(s3: Any, bucket: str) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ContentType="text/x-mp")["UploadId"]
    part1 = b"1" * (5 * MIB)
    e1 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=part1)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=2, Body=b"tail")["ETag"]
    listed = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload)
    assert [(p["PartNumber"], p["Size"]) for p in listed["Parts"]] == [(1, 5 * MIB), (2, 4)]
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("mp", upload)]
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="mp", UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]},
        )  # fmt: skip
    assert code(exc) == "InvalidPartOrder"
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"0"'}]}
        )
    assert code(exc) == "InvalidPart"
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]},
    )  # fmt: skip
    expected = hashlib.md5(hashlib.md5(part1).digest() + hashlib.md5(b"tail").digest()).hexdigest()
    assert done["ETag"] == f'"{expected}-2"'
    got = s3.get_object(Bucket=bucket, Key="mp")
    assert got["ContentType"] == "text/x-mp"
    assert got["Body"].read() == part1 + b"tail"


def test_small_parts_abort_and_missing_upload(s3: Any, bucket: str) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="small")["UploadId"]
    etags = [
        s3.upload_part(Bucket=bucket, Key="small", UploadId=upload, PartNumber=n, Body=b"x")["ETag"] for n in (1, 2)
    ]
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="small", UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in zip((1, 2), etags, strict=True)]},
        )  # fmt: skip
    assert code(exc) == "EntityTooSmall"
    s3.abort_multipart_upload(Bucket=bucket, Key="small", UploadId=upload)
    with pytest.raises(ClientError) as exc:
        s3.upload_part(Bucket=bucket, Key="small", UploadId=upload, PartNumber=3, Body=b"x")
    assert code(exc) == "NoSuchUpload"
    with pytest.raises(ClientError) as exc:
        s3.upload_part(Bucket=bucket, Key="small", UploadId="nope", PartNumber=10001, Body=b"x")
    assert code(exc) == "InvalidArgument"


def test_upload_part_copy(s3: Any, bucket: str) -> None:
    source = bytes(range(256)) * 40960  # 10 MiB
    s3.put_object(Bucket=bucket, Key="src", Body=source[: 6 * MIB])
    upload = s3.create_multipart_upload(Bucket=bucket, Key="assembled")["UploadId"]
    c1 = s3.upload_part_copy(
        Bucket=bucket, Key="assembled", UploadId=upload, PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes=0-{5 * MIB - 1}",
    )["CopyPartResult"]["ETag"]  # fmt: skip
    p2 = s3.upload_part(Bucket=bucket, Key="assembled", UploadId=upload, PartNumber=2, Body=b"end")["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="assembled", UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": c1}, {"PartNumber": 2, "ETag": p2}]},
    )  # fmt: skip
    assert s3.get_object(Bucket=bucket, Key="assembled")["Body"].read() == source[: 5 * MIB] + b"end"


def test_multipart_over_tls_with_trailer_checksums(tls_server: Server) -> None:
    s3 = tls_server.client()
    s3.create_bucket(Bucket="tls-mpu")
    data = b"m" * (5 * MIB + 10)
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    s3.upload_fileobj(io.BytesIO(data), "tls-mpu", "obj", Config=config)
    assert s3.get_object(Bucket="tls-mpu", Key="obj")["Body"].read() == data
