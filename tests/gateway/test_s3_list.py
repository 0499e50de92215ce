"""Functional: ListObjectsV2 and ListObjects (v1) through boto3."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from s3_harness import Server, signed

KEYS = ["a/1", "a/2", "b/1", "c", "d/x/1", "d/y/2", "e", "sp ace+plus"]


@pytest.fixture
def filled(s3: Any, bucket: str) -> str:
    for key in KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    return bucket


def test_v2_flat_and_paginated(s3: Any, filled: str) -> None:
    everything = s3.list_objects_v2(Bucket=filled)
    assert [o["Key"] for o in everything["Contents"]] == sorted(KEYS)
    assert everything["KeyCount"] == len(KEYS)
    assert everything["Contents"][0]["ETag"].startswith('"')
    assert "Owner" not in everything["Contents"][0]
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=filled, PaginationConfig={"PageSize": 3}))
    assert [o["Key"] for p in pages for o in p["Contents"]] == sorted(KEYS)
    assert all(p["KeyCount"] <= 3 for p in pages)


def test_v2_delimiter_prefixes_count_toward_max_keys(s3: Any, filled: str) -> None:
    page = s3.list_objects_v2(Bucket=filled, Delimiter="/", MaxKeys=3)
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["a/", "b/"]
    assert [o["Key"] for o in page["Contents"]] == ["c"]
    assert page["IsTruncated"] and page["KeyCount"] == 3
    rest = s3.list_objects_v2(Bucket=filled, Delimiter="/", ContinuationToken=page["NextContinuationToken"])
    assert [p["Prefix"] for p in rest["CommonPrefixes"]] == ["d/"]
    assert [o["Key"] for o in rest["Contents"]] == ["e", "sp ace+plus"]
    nested = s3.list_objects_v2(Bucket=filled, Prefix="d/", Delimiter="/")
    assert [p["Prefix"] for p in nested["CommonPrefixes"]] == ["d/x/", "d/y/"]


def test_v2_start_after_owner_and_encoding(s3: Any, filled: str) -> None:
    page = s3.list_objects_v2(Bucket=filled, StartAfter="d/x/1", FetchOwner=True)
    assert [o["Key"] for o in page["Contents"]] == ["d/y/2", "e", "sp ace+plus"]
    assert page["Contents"][0]["Owner"]["ID"] == "alice"
    encoded = s3.list_objects_v2(Bucket=filled, Prefix="sp", EncodingType="url")
    assert [o["Key"] for o in encoded["Contents"]] == ["sp%20ace%2Bplus"]  # asked for explicitly: not decoded


def test_v2_bad_params(server: Server, filled: str) -> None:
    assert b"InvalidArgument" in signed(server, "GET", f"/{filled}?list-type=2&max-keys=abc").content
    assert b"InvalidArgument" in signed(server, "GET", f"/{filled}?list-type=2&continuation-token=%21%21").content
    assert b"InvalidArgument" in signed(server, "GET", f"/{filled}?list-type=2&encoding-type=zip").content
    empty = signed(server, "GET", f"/{filled}?list-type=2&max-keys=0")
    assert b"<KeyCount>0</KeyCount>" in empty.content


def test_v1_markers(s3: Any, filled: str) -> None:
    page = s3.list_objects(Bucket=filled, MaxKeys=2)
    assert [o["Key"] for o in page["Contents"]] == ["a/1", "a/2"]
    assert page["IsTruncated"] and "NextMarker" not in page  # no delimiter: no NextMarker, as AWS
    assert page["Contents"][0]["Owner"]["ID"] == "alice"
    rest = s3.list_objects(Bucket=filled, Marker="a/2", MaxKeys=100)
    assert rest["Contents"][0]["Key"] == "b/1"
    grouped = s3.list_objects(Bucket=filled, Delimiter="/", MaxKeys=1)
    assert grouped["NextMarker"] == "a/"
    assert [o["Key"] for o in s3.list_objects(Bucket=filled, Marker="d/")["Contents"]][:1] == ["d/x/1"]
    assert len(list(s3.get_paginator("list_objects").paginate(Bucket=filled, PaginationConfig={"PageSize": 3}))) == 3


def test_list_missing_bucket(s3: Any) -> None:
    with pytest.raises(ClientError) as exc:
        s3.list_objects_v2(Bucket="no-such-bucket-list")
    assert exc.value.response["Error"]["Code"] == "NoSuchBucket"
