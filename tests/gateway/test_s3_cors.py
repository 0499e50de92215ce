"""Functional (in-process app, boto3): Put/Get/DeleteBucketCors, the OPTIONS preflight and the
CORS headers of real requests; Put/Get/DeleteBucketTagging."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from s3_harness import BOB, Server, signed

from objectio.gateway.request import S3Op

CORS = {
    "CORSRules": [
        {
            "ID": "site",
            "AllowedOrigins": ["https://*.example.com"],
            "AllowedMethods": ["GET", "PUT"],
            "AllowedHeaders": ["x-amz-*", "content-type"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 600,
        },
        {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]},
    ]
}


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    code: str = exc.value.response["Error"]["Code"]
    return code


def xml_code(response: Any) -> str:
    return ET.fromstring(response.content).findtext("Code") or ""


def preflight(server: Server, path: str, origin: str | None, method: str | None, headers: str = "") -> Any:
    sent = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        sent["Access-Control-Request-Headers"] = headers
    return requests.options(f"{server.url}{path}", headers={k: v for k, v in sent.items() if v}, timeout=5)


def test_parse_routes_bucket_configuration_and_preflight() -> None:
    from test_protocol import parse

    assert parse("PUT", "/bkt", "cors").op is S3Op.PUT_BUCKET_CORS
    assert parse("GET", "/bkt", "cors").op is S3Op.GET_BUCKET_CORS
    assert parse("DELETE", "/bkt", "cors").op is S3Op.DELETE_BUCKET_CORS
    assert parse("PUT", "/bkt", "tagging").op is S3Op.PUT_BUCKET_TAGGING
    assert parse("GET", "/bkt", "tagging").op is S3Op.GET_BUCKET_TAGGING
    assert parse("DELETE", "/bkt", "tagging").op is S3Op.DELETE_BUCKET_TAGGING
    assert parse("OPTIONS", "/bkt/a/b").op is S3Op.CORS_PREFLIGHT
    assert parse("OPTIONS", "/bkt", "cors").op is S3Op.CORS_PREFLIGHT
    assert parse("POST", "/bkt", "cors").op is S3Op.UNSUPPORTED
    assert parse("PUT", "/bkt/k", "cors").op is S3Op.UNSUPPORTED  # CORS is a bucket sub-resource only


def test_cors_configuration_round_trip(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket=bucket)
    assert error_code(exc) == "NoSuchCORSConfiguration"
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=CORS)
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == CORS["CORSRules"]
    s3.delete_bucket_cors(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket=bucket)
    assert error_code(exc) == "NoSuchCORSConfiguration"
    s3.delete_bucket_cors(Bucket=bucket)  # deleting nothing succeeds, as on AWS


def test_put_cors_errors(server: Server, s3: Any, bucket: str) -> None:
    bad_method = {"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}]}
    two_wildcards = {"CORSRules": [{"AllowedOrigins": ["http://*.*.com"], "AllowedMethods": ["GET"]}]}
    for configuration, code in ((bad_method, "InvalidRequest"), (two_wildcards, "InvalidRequest")):
        with pytest.raises(ClientError) as exc:
            s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=configuration)
        assert error_code(exc) == code
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    garbage = signed(server, "PUT", f"/{bucket}?cors", b"<CORSConfiguration><CORSRule>", {"Content-MD5": "x"})
    assert (garbage.status_code, xml_code(garbage)) == (400, "InvalidDigest")
    no_md5 = signed(server, "PUT", f"/{bucket}?cors", b"<CORSConfiguration/>")
    assert (no_md5.status_code, xml_code(no_md5)) == (400, "InvalidRequest")
    with pytest.raises(ClientError) as exc:
        server.client(BOB).put_bucket_cors(Bucket=bucket, CORSConfiguration=CORS)
    assert error_code(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket=f"{bucket}-absent")
    assert error_code(exc) == "NoSuchBucket"


def test_preflight(server: Server, s3: Any, bucket: str) -> None:
    not_enabled = preflight(server, f"/{bucket}/k", "https://www.example.com", "GET")
    assert (not_enabled.status_code, xml_code(not_enabled)) == (403, "AccessForbidden")
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=CORS)
    ok = preflight(server, f"/{bucket}/k", "https://www.example.com", "PUT", "X-Amz-Date, Content-Type")
    assert ok.status_code == 200
    assert ok.headers["Access-Control-Allow-Origin"] == "https://www.example.com"
    assert ok.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert ok.headers["Access-Control-Allow-Headers"] == "x-amz-date, content-type"
    assert ok.headers["Access-Control-Max-Age"] == "600"
    assert ok.headers["Access-Control-Expose-Headers"] == "ETag"
    assert ok.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in ok.headers["Vary"]
    anyone = preflight(server, f"/{bucket}", "http://elsewhere.test", "GET")
    assert anyone.status_code == 200 and anyone.headers["Access-Control-Allow-Origin"] == "*"
    for origin, method, headers in (
        ("http://elsewhere.test", "PUT", ""),  # only GET for other origins
        ("https://www.example.com", "PUT", "authorization"),  # header not allowed
        ("https://www.example.com", "DELETE", ""),
    ):
        denied = preflight(server, f"/{bucket}/k", origin, method, headers)
        assert (denied.status_code, xml_code(denied)) == (403, "AccessForbidden"), (origin, method, headers)
        assert "Access-Control-Allow-Origin" not in denied.headers
    incomplete: list[tuple[str | None, str | None]] = [
        (None, "GET"),
        ("http://a.test", None),
        ("http://a.test", "PATCH"),
    ]
    for bad_origin, bad_method in incomplete:
        bad = preflight(server, f"/{bucket}/k", bad_origin, bad_method)
        assert (bad.status_code, xml_code(bad)) == (400, "BadRequest"), (bad_origin, bad_method)
    absent = preflight(server, f"/{bucket}-absent/k", "http://a.test", "GET")
    assert (absent.status_code, xml_code(absent)) == (404, "NoSuchBucket")


def test_real_requests_carry_the_matching_rules_headers(server: Server, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    origin = {"Origin": "https://app.example.com"}
    assert "Access-Control-Allow-Origin" not in signed(server, "GET", f"/{bucket}/k", headers=origin).headers
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=CORS)
    got = signed(server, "GET", f"/{bucket}/k", headers=origin)
    assert got.status_code == 200 and got.content == b"data"
    assert got.headers["access-control-allow-origin"] == "https://app.example.com"
    assert got.headers["access-control-expose-headers"] == "ETag"
    missing = signed(server, "GET", f"/{bucket}/absent", headers=origin)  # errors carry them too
    assert (missing.status_code, xml_code(missing)) == (404, "NoSuchKey")
    assert missing.headers["access-control-allow-origin"] == "https://app.example.com"
    denied = requests.get(f"{server.url}/{bucket}/k", headers=origin, timeout=5)  # anonymous: AccessDenied
    assert denied.status_code == 403 and denied.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    other = signed(server, "DELETE", f"/{bucket}/k", headers={"Origin": "http://elsewhere.test"})
    assert other.status_code == 204 and "access-control-allow-origin" not in other.headers  # DELETE not allowed
    assert "access-control-allow-origin" not in signed(server, "GET", f"/{bucket}/k").headers  # no Origin


def test_bucket_tagging(server: Server, s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert error_code(exc) == "NoSuchTagSet"
    tags = [{"Key": "team", "Value": "storage"}, {"Key": "cost center", "Value": ""}]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == tags
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags[:1]})  # replaces the whole set
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == tags[:1]
    for tag_set in (
        [{"Key": f"k{i}", "Value": "v"} for i in range(51)],
        [{"Key": "k" * 129, "Value": "v"}],
        [{"Key": "k", "Value": "v" * 257}],
        [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}],
        [{"Key": "aws:reserved", "Value": "v"}],
    ):
        with pytest.raises(ClientError) as exc:
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_set})
        assert error_code(exc) == "InvalidTag"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == tags[:1]  # failed puts changed nothing
    with pytest.raises(ClientError) as exc:
        server.client(BOB).get_bucket_tagging(Bucket=bucket)
    assert error_code(exc) == "AccessDenied"
    s3.delete_bucket_tagging(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert error_code(exc) == "NoSuchTagSet"


def test_bucket_policy_governs_cors_and_tagging(server: Server, s3: Any, bucket: str) -> None:
    import json

    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": "bob"},
        "Action": ["s3:GetBucketTagging", "s3:GetBucketCORS"],
        "Resource": f"arn:aws:s3:::{bucket}",
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=CORS)
    bob = server.client(BOB)
    assert bob.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "k", "Value": "v"}]
    assert bob.get_bucket_cors(Bucket=bucket)["CORSRules"] == CORS["CORSRules"]
    writes: list[tuple[Any, dict[str, Any]]] = [
        (bob.put_bucket_tagging, {"Tagging": {"TagSet": []}}),
        (bob.delete_bucket_tagging, {}),
        (bob.put_bucket_cors, {"CORSConfiguration": CORS}),
        (bob.delete_bucket_cors, {}),
    ]
    for call, arguments in writes:
        with pytest.raises(ClientError) as exc:
            call(Bucket=bucket, **arguments)
        assert error_code(exc) == "AccessDenied"
