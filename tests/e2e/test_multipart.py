"""Multipart uploads against the real cluster with boto3: parts erasure-coded under their own
object ids, completion that references them, reads across part and stripe boundaries, listings,
abort, and every error path of CompleteMultipartUpload."""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from objectio.common.pools import DEFAULT_POOLS

pytestmark = pytest.mark.e2e

MIB = 1 << 20
PART_BYTES = 5 * MIB
STRIPE_BYTES = next(p for p in DEFAULT_POOLS if p.name == "rs-4-2").stripe_data_bytes


def _bucket(s3: Any) -> str:
    name = f"mp-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def _code(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def _etag_of(parts: list[bytes]) -> str:
    joined = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(joined).hexdigest()}-{len(parts)}"'


@pytest.fixture(scope="module")
def uploaded(cluster: Any) -> Iterator[tuple[Any, str, str, list[bytes]]]:
    """One object of three 5 MiB parts and a small last part, shared by the read tests."""
    from tests.e2e.conftest import s3_client

    s3: Any = s3_client(cluster)
    bucket = _bucket(s3)
    rng = random.Random(7)
    parts = [rng.randbytes(PART_BYTES) for _ in range(3)] + [rng.randbytes(123_457)]
    upload = s3.create_multipart_upload(
        Bucket=bucket, Key="big", ContentType="video/x-test", Metadata={"origin": "e2e"}
    )["UploadId"]
    etags = [
        s3.upload_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=n + 1, Body=body)["ETag"]
        for n, body in enumerate(parts)
    ]
    assert etags == [f'"{hashlib.md5(p).hexdigest()}"' for p in parts]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="big", UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]},
    )  # fmt: skip
    assert done["ETag"] == _etag_of(parts)
    yield s3, bucket, "big", parts


def test_complete_object_reads_back_byte_exact(uploaded: tuple[Any, str, str, list[bytes]]) -> None:
    s3, bucket, key, parts = uploaded
    data = b"".join(parts)
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == _etag_of(parts) and head["ETag"].endswith('-4"')
    assert head["ContentType"] == "video/x-test" and head["Metadata"] == {"origin": "e2e"}
    got = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert hashlib.md5(got).hexdigest() == hashlib.md5(data).hexdigest()
    assert key in [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (PART_BYTES - 10, PART_BYTES + 9),  # crosses the 1|2 part boundary
        (STRIPE_BYTES - 5, STRIPE_BYTES + 5),  # crosses a stripe boundary inside part 1
        (PART_BYTES + STRIPE_BYTES - 1, 3 * PART_BYTES + 10),  # stripe boundary of part 2 .. into part 4
        (PART_BYTES - 1, 2 * PART_BYTES),  # last byte of part 1 .. first byte of part 3
        (0, 0),
        (3 * PART_BYTES, 3 * PART_BYTES + 123_456),  # exactly the last part
    ],
)
def test_ranged_gets_across_parts_and_stripes(
    uploaded: tuple[Any, str, str, list[bytes]], first: int, last: int
) -> None:
    s3, bucket, key, parts = uploaded
    data = b"".join(parts)
    got = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={first}-{last}")
    assert got["ContentRange"] == f"bytes {first}-{last}/{len(data)}"
    assert got["Body"].read() == data[first : last + 1]


def test_suffix_range(uploaded: tuple[Any, str, str, list[bytes]]) -> None:
    s3, bucket, key, parts = uploaded
    data = b"".join(parts)
    assert s3.get_object(Bucket=bucket, Key=key, Range="bytes=-200000")["Body"].read() == data[-200000:]


def test_list_parts_paging_and_list_uploads(s3: Any) -> None:
    bucket = _bucket(s3)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="dir/p")["UploadId"]
    for n in range(1, 6):
        s3.upload_part(Bucket=bucket, Key="dir/p", UploadId=upload, PartNumber=n, Body=bytes([n]) * (n * 1000))
    first = s3.list_parts(Bucket=bucket, Key="dir/p", UploadId=upload, MaxParts=2)
    assert [(p["PartNumber"], p["Size"]) for p in first["Parts"]] == [(1, 1000), (2, 2000)]
    assert first["IsTruncated"] and first["NextPartNumberMarker"] == 2
    rest = s3.list_parts(Bucket=bucket, Key="dir/p", UploadId=upload, PartNumberMarker=2)
    assert [p["PartNumber"] for p in rest["Parts"]] == [3, 4, 5] and not rest["IsTruncated"]
    others = {k: s3.create_multipart_upload(Bucket=bucket, Key=k)["UploadId"] for k in ("a", "dir/q", "z")}
    listed = s3.list_multipart_uploads(Bucket=bucket)
    assert [u["Key"] for u in listed["Uploads"]] == ["a", "dir/p", "dir/q", "z"]
    assert s3.list_multipart_uploads(Bucket=bucket, Prefix="dir/")["Uploads"][1]["UploadId"] == others["dir/q"]
    grouped = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [u["Key"] for u in grouped["Uploads"]] == ["a", "z"]
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["dir/"]
    page = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=2)
    assert page["IsTruncated"] and page["NextKeyMarker"] == "dir/p" and page["NextUploadIdMarker"] == upload
    after = s3.list_multipart_uploads(Bucket=bucket, KeyMarker="dir/p", UploadIdMarker=upload)
    assert [u["Key"] for u in after["Uploads"]] == ["dir/q", "z"]
    for key, upload_id in [("dir/p", upload), *others.items()]:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)


def test_abort_and_unknown_upload_ids(s3: Any) -> None:
    bucket = _bucket(s3)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=1, Body=b"x" * 70_000)
    s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload)
    calls: list[Callable[[], object]] = [
        lambda: s3.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=1, Body=b"y"),
        lambda: s3.list_parts(Bucket=bucket, Key="k", UploadId=upload),
        lambda: s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload),
        lambda: s3.complete_multipart_upload(
            Bucket=bucket, Key="k", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"0"'}]}
        ),
        lambda: s3.upload_part(Bucket=bucket, Key="k", UploadId="nonexistent", PartNumber=1, Body=b"y"),
    ]
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert _code(excinfo) == ("NoSuchUpload", 404)
    with pytest.raises(ClientError) as excinfo:
        s3.head_object(Bucket=bucket, Key="k")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_complete_errors(s3: Any) -> None:
    bucket = _bucket(s3)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="e")["UploadId"]
    small = s3.upload_part(Bucket=bucket, Key="e", UploadId=upload, PartNumber=1, Body=b"s" * 1000)["ETag"]
    tail = s3.upload_part(Bucket=bucket, Key="e", UploadId=upload, PartNumber=2, Body=b"t" * 10)["ETag"]

    def complete(parts: list[tuple[int, str]]) -> tuple[str, int]:
        with pytest.raises(ClientError) as excinfo:
            s3.complete_multipart_upload(
                Bucket=bucket, Key="e", UploadId=upload,
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]},
            )  # fmt: skip
        return _code(excinfo)

    assert complete([(2, tail), (1, small)]) == ("InvalidPartOrder", 400)
    assert complete([(1, small), (3, tail)]) == ("InvalidPart", 400)
    assert complete([(1, tail), (2, tail)]) == ("InvalidPart", 400)
    assert complete([(1, small), (2, tail)]) == ("EntityTooSmall", 400)

    def garble(request: Any, **_: Any) -> None:
        request.data = b"<CompleteMultipartUpload><Part><PartNumber>1</Part>"

    s3.meta.events.register("before-sign.s3.CompleteMultipartUpload", garble)
    try:
        assert complete([(1, small)]) == ("MalformedXML", 400)
    finally:
        s3.meta.events.unregister("before-sign.s3.CompleteMultipartUpload", garble)
    # the upload survived every failed completion: a single small part is a valid object
    s3.complete_multipart_upload(
        Bucket=bucket, Key="e", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": tail}]}
    )
    assert s3.get_object(Bucket=bucket, Key="e")["Body"].read() == b"t" * 10


def test_replaced_part_and_unlisted_parts(s3: Any) -> None:
    bucket = _bucket(s3)
    rng = random.Random(3)
    s3.put_object(Bucket=bucket, Key="r", Body=b"old plain object")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="r")["UploadId"]
    first = rng.randbytes(PART_BYTES)
    s3.upload_part(Bucket=bucket, Key="r", UploadId=upload, PartNumber=1, Body=rng.randbytes(PART_BYTES))
    e1 = s3.upload_part(Bucket=bucket, Key="r", UploadId=upload, PartNumber=1, Body=first)["ETag"]
    s3.upload_part(Bucket=bucket, Key="r", UploadId=upload, PartNumber=2, Body=b"unused")
    last = rng.randbytes(100)
    e3 = s3.upload_part(Bucket=bucket, Key="r", UploadId=upload, PartNumber=3, Body=last)["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="r", UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 3, "ETag": e3}]},
    )  # fmt: skip
    got = s3.get_object(Bucket=bucket, Key="r")
    assert got["ETag"] == _etag_of([first, last])
    assert got["Body"].read() == first + last
    s3.put_object(Bucket=bucket, Key="r", Body=b"plain again")  # replaces the multipart object
    assert s3.get_object(Bucket=bucket, Key="r")["Body"].read() == b"plain again"


def test_upload_part_copy_with_range(s3: Any) -> None:
    bucket = _bucket(s3)
    source = random.Random(5).randbytes(6 * MIB)
    s3.put_object(Bucket=bucket, Key="src", Body=source)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    copied = s3.upload_part_copy(
        Bucket=bucket, Key="dst", UploadId=upload, PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "src"}, CopySourceRange=f"bytes=100-{100 + PART_BYTES - 1}",
    )["CopyPartResult"]  # fmt: skip
    whole = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=upload, PartNumber=2, CopySource=f"{bucket}/src")[
        "CopyPartResult"
    ]
    parts = [{"PartNumber": 1, "ETag": copied["ETag"]}, {"PartNumber": 2, "ETag": whole["ETag"]}]
    s3.complete_multipart_upload(Bucket=bucket, Key="dst", UploadId=upload, MultipartUpload={"Parts": parts})
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == source[100 : 100 + PART_BYTES] + source


def test_get_and_head_by_part_number(uploaded: tuple[Any, str, str, list[bytes]]) -> None:
    s3, bucket, key, parts = uploaded
    for number in (1, 2, 4):
        got = s3.get_object(Bucket=bucket, Key=key, PartNumber=number)
        assert got["PartsCount"] == 4 and got["Body"].read() == parts[number - 1]
    head = s3.head_object(Bucket=bucket, Key=key, PartNumber=4)
    assert head["ContentLength"] == len(parts[3]) and head["PartsCount"] == 4
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=bucket, Key=key, PartNumber=5)
    assert _code(excinfo) == ("InvalidPart", 400)
