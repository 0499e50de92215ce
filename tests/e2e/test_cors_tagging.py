"""Bucket CORS (configuration, OPTIONS preflight, headers of real requests) and bucket tagging
through boto3 against the real cluster.

Bucket settings reach the other gateway workers within ``datapath.bucket_cache_seconds``, so
checks made on a new connection (which may land on another worker) wait for it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
import requests
from botocore.exceptions import ClientError

from objectio.cli.aio import AllInOne

pytestmark = pytest.mark.e2e

T = TypeVar("T")
SETTINGS_PROPAGATION_SECONDS = 5.0 + 3.0  # datapath.bucket_cache_seconds + slack

CORS = {
    "CORSRules": [
        {
            "ID": "app",
            "AllowedOrigins": ["https://*.example.org"],
            "AllowedMethods": ["GET", "PUT", "HEAD"],
            "AllowedHeaders": ["*"],
            "ExposeHeaders": ["ETag", "x-amz-request-id"],
            "MaxAgeSeconds": 3600,
        }
    ]
}


def eventually(probe: Callable[[], T], done: Callable[[T], bool]) -> T:
    deadline = time.monotonic() + SETTINGS_PROPAGATION_SECONDS
    while True:
        value = probe()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[int, str]:
    response = exc.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_cors_configuration_preflight_and_real_requests(cluster: AllInOne, s3: Any) -> None:
    bucket = f"cors-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="page.html", Body=b"<html/>")
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket=bucket)
    assert error_code(exc) == (404, "NoSuchCORSConfiguration")
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_cors(
            Bucket=bucket, CORSConfiguration={"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["TRACE"]}]}
        )
    assert error_code(exc) == (400, "InvalidRequest")
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=CORS)
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == CORS["CORSRules"]

    url = f"{cluster.endpoint}/{bucket}/page.html"
    asked = {"Origin": "https://www.example.org", "Access-Control-Request-Method": "PUT",
             "Access-Control-Request-Headers": "content-type,x-amz-date"}  # fmt: skip
    ok = eventually(lambda: requests.options(url, headers=asked, timeout=10), lambda r: r.status_code == 200)
    assert ok.status_code == 200, ok.text
    assert ok.headers["Access-Control-Allow-Origin"] == "https://www.example.org"
    assert ok.headers["Access-Control-Allow-Methods"] == "GET, PUT, HEAD"
    assert ok.headers["Access-Control-Allow-Headers"] == "content-type, x-amz-date"
    assert ok.headers["Access-Control-Max-Age"] == "3600"
    denied = requests.options(url, headers={**asked, "Origin": "https://evil.test"}, timeout=10)
    assert denied.status_code == 403 and b"<Code>AccessForbidden</Code>" in denied.content
    assert requests.options(url, headers={"Origin": "https://a.example.org"}, timeout=10).status_code == 400

    # A real (signed) request with an Origin: the matching rule's headers, on success and on errors.
    def with_origin(request: Any, **_: Any) -> None:
        request.headers["Origin"] = "https://shop.example.org"

    s3.meta.events.register("before-sign.s3.*", with_origin)
    try:
        got = s3.get_object(Bucket=bucket, Key="page.html")
        assert got["Body"].read() == b"<html/>"  # read to the end: the connection goes back to the pool
        headers = got["ResponseMetadata"]["HTTPHeaders"]
        assert headers["access-control-allow-origin"] == "https://shop.example.org"
        assert headers["access-control-expose-headers"] == "ETag, x-amz-request-id"
        with pytest.raises(ClientError) as exc:
            s3.get_object(Bucket=bucket, Key="absent")
        assert error_code(exc) == (404, "NoSuchKey")
        assert exc.value.response["ResponseMetadata"]["HTTPHeaders"]["access-control-allow-origin"] == (
            "https://shop.example.org"
        )
        deleted = s3.delete_object(Bucket=bucket, Key="page.html")  # DELETE is not allowed: no CORS headers
        assert "access-control-allow-origin" not in deleted["ResponseMetadata"]["HTTPHeaders"]
    finally:
        s3.meta.events.unregister("before-sign.s3.*", with_origin)

    s3.delete_bucket_cors(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket=bucket)
    assert error_code(exc) == (404, "NoSuchCORSConfiguration")
    gone = eventually(lambda: requests.options(url, headers=asked, timeout=10), lambda r: r.status_code == 403)
    assert gone.status_code == 403 and b"CORS is not enabled" in gone.content
    s3.delete_bucket(Bucket=bucket)


def test_bucket_tagging(s3: Any) -> None:
    bucket = f"tags-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert error_code(exc) == (404, "NoSuchTagSet")
    tags = [{"Key": f"key-{i}", "Value": f"value {i}"} for i in range(50)]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == tags
    too_many = [*tags, {"Key": "one-more", "Value": ""}]
    duplicate = [{"Key": "k", "Value": "a"}, {"Key": "k", "Value": "b"}]
    for bad in (too_many, [{"Key": "k" * 129, "Value": ""}], [{"Key": "k", "Value": "v" * 257}], duplicate):
        with pytest.raises(ClientError) as exc:
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": bad})
        assert error_code(exc) == (400, "InvalidTag")
    assert len(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]) == 50
    s3.delete_bucket_tagging(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert error_code(exc) == (404, "NoSuchTagSet")
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_tagging(Bucket=f"{bucket}-absent", Tagging={"TagSet": tags[:1]})
    assert error_code(exc) == (404, "NoSuchBucket")
    s3.delete_bucket(Bucket=bucket)
