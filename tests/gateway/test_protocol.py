"""Pure protocol logic: request parsing, errors, ranges, conditionals, checksums, config."""

from __future__ import annotations

import base64
import dataclasses
import xml.etree.ElementTree as ET
import zlib
from typing import Any

import pytest

from objectio.common.config import ConfigError
from objectio.gateway import backend as be
from objectio.gateway import checksums, conditionals, errors, ranges
from objectio.gateway.config import GatewayConfig
from objectio.gateway.handlers.list import decode_token, encode_token, list_params
from objectio.gateway.http import http_date, iso8601
from objectio.gateway.request import S3Op, headers_from_scope, parse_request


def parse(method: str, path: str, query: str = "", host: str = "localhost:9000", domain: str = "", **h: str) -> Any:
    headers = [(b"host", host.encode())] + [(k.replace("_", "-").encode(), v.encode()) for k, v in h.items()]
    scope = {
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": headers,
    }
    return parse_request(scope, headers_from_scope(scope), domain)


@pytest.mark.parametrize(
    ("method", "path", "query", "op"),
    [
        ("GET", "/", "", S3Op.LIST_BUCKETS),
        ("PUT", "/bkt", "", S3Op.CREATE_BUCKET),
        ("PUT", "/bkt/", "", S3Op.CREATE_BUCKET),
        ("DELETE", "/bkt", "", S3Op.DELETE_BUCKET),
        ("HEAD", "/bkt", "", S3Op.HEAD_BUCKET),
        ("GET", "/bkt", "location", S3Op.GET_BUCKET_LOCATION),
        ("GET", "/bkt", "", S3Op.LIST_OBJECTS),
        ("GET", "/bkt", "list-type=2", S3Op.LIST_OBJECTS_V2),
        ("POST", "/bkt", "delete", S3Op.DELETE_OBJECTS),
        ("PUT", "/bkt/k", "", S3Op.PUT_OBJECT),
        ("GET", "/bkt/k", "response-content-type=x", S3Op.GET_OBJECT),
        ("HEAD", "/bkt/k", "", S3Op.HEAD_OBJECT),
        ("DELETE", "/bkt/k", "", S3Op.DELETE_OBJECT),
        ("GET", "/bkt/k", "tagging", S3Op.GET_OBJECT_TAGGING),
        ("PUT", "/bkt/k", "tagging", S3Op.PUT_OBJECT_TAGGING),
        ("DELETE", "/bkt/k", "tagging", S3Op.DELETE_OBJECT_TAGGING),
        ("GET", "/bkt/k", "attributes", S3Op.GET_OBJECT_ATTRIBUTES),
        ("GET", "/bkt", "versioning", S3Op.GET_BUCKET_VERSIONING),
        ("PUT", "/bkt", "versioning", S3Op.PUT_BUCKET_VERSIONING),
        ("GET", "/bkt/k", "versionId=null", S3Op.GET_OBJECT),
        ("DELETE", "/bkt/k", "versionId=null", S3Op.DELETE_OBJECT),
        ("GET", "/bkt", "acl", S3Op.GET_BUCKET_ACL),
        ("PUT", "/bkt", "acl", S3Op.PUT_BUCKET_ACL),
        ("GET", "/bkt/k", "acl", S3Op.GET_OBJECT_ACL),
        ("PUT", "/bkt/k", "acl", S3Op.PUT_OBJECT_ACL),
        ("PUT", "/bkt", "policy", S3Op.PUT_BUCKET_POLICY),
        ("DELETE", "/bkt", "policy", S3Op.DELETE_BUCKET_POLICY),
        ("GET", "/bkt", "policyStatus", S3Op.GET_BUCKET_POLICY_STATUS),
        ("PUT", "/bkt", "publicAccessBlock", S3Op.PUT_PUBLIC_ACCESS_BLOCK),
        ("DELETE", "/bkt", "ownershipControls", S3Op.DELETE_BUCKET_OWNERSHIP_CONTROLS),
        ("PUT", "/bkt/k", "policy", S3Op.UNSUPPORTED),
        ("GET", "/bkt/k", "versioning", S3Op.UNSUPPORTED),
        ("GET", "/bkt", "versions", S3Op.LIST_OBJECT_VERSIONS),
        ("GET", "/bkt", "analytics", S3Op.UNSUPPORTED),
        ("POST", "/bkt/k", "uploads", S3Op.CREATE_MULTIPART_UPLOAD),
        ("PUT", "/bkt/k", "partNumber=1&uploadId=x", S3Op.UPLOAD_PART),
        ("POST", "/bkt/k", "uploadId=x", S3Op.COMPLETE_MULTIPART_UPLOAD),
        ("DELETE", "/bkt/k", "uploadId=x", S3Op.ABORT_MULTIPART_UPLOAD),
        ("GET", "/bkt/k", "uploadId=x", S3Op.LIST_PARTS),
        ("GET", "/bkt", "uploads", S3Op.LIST_MULTIPART_UPLOADS),
    ],
)
def test_operation_table(method: str, path: str, query: str, op: S3Op) -> None:
    assert parse(method, path, query).op is op


def test_copy_is_chosen_by_its_header() -> None:
    assert parse("PUT", "/bkt/k", x_amz_copy_source="/src/key").op is S3Op.COPY_OBJECT


def test_keys_are_opaque_strings() -> None:
    req = parse("GET", "/bkt/a/../../b%2F..%00/%E2%82%AC")
    assert req.bucket == "bkt"
    assert req.key == "a/../../b/..\x00/€"
    with pytest.raises(errors.KeyTooLongError):
        parse("GET", "/bkt/" + "k" * 1025)
    assert parse("GET", "/bkt/" + "k" * 1024).key == "k" * 1024
    with pytest.raises(errors.InvalidArgument):
        parse("GET", "/bkt/%FF")


def test_virtual_host_style() -> None:
    req = parse("GET", "/dir/key", host="my.bucket.s3.example.com:9000", domain="s3.example.com")
    assert (req.bucket, req.key, req.op) == ("my.bucket", "dir/key", S3Op.GET_OBJECT)
    path_style = parse("GET", "/bkt/key", host="s3.example.com", domain="s3.example.com")
    assert (path_style.bucket, path_style.key) == ("bkt", "key")
    assert parse("GET", "/bkt/key", host="other.host", domain="s3.example.com").bucket == "bkt"


@pytest.mark.parametrize("name", ["ab", "a" * 64, "Upper", "under_score", "10.0.0.1", "a..b", "-ab", "ab-", "a.-b"])
def test_invalid_bucket_names(name: str) -> None:
    with pytest.raises(errors.InvalidBucketName):
        parse("PUT", f"/{name}")


def test_method_not_allowed() -> None:
    with pytest.raises(errors.MethodNotAllowed):
        parse("PATCH", "/bkt/k")
    assert parse("GET", "/bkt/k", "partNumber=2").op is S3Op.GET_OBJECT  # one part of an object
    assert parse("HEAD", "/bkt/k", "partNumber=2").op is S3Op.HEAD_OBJECT
    assert parse("PUT", "/bkt/k", "partNumber=1&uploadId=x", x_amz_copy_source="/a/b").op is S3Op.UPLOAD_PART_COPY
    with pytest.raises(errors.NotImplemented):
        parse("POST", "/bkt/k")


def test_error_xml() -> None:
    error = errors.NoSuchKey()
    root = ET.fromstring(error.to_xml("/b/<k>", "rid1"))
    assert root.tag == "Error"
    assert [c.tag for c in root] == ["Code", "Message", "Resource", "RequestId"]
    assert (root.findtext("Code"), root.findtext("Resource"), root.findtext("RequestId")) == (
        "NoSuchKey",
        "/b/<k>",
        "rid1",
    )
    assert error.status == 404
    assert errors.NotModified.status == 304 and not errors.NotModified.has_body
    expected: dict[type[errors.S3Error], int] = {
        errors.AccessDenied: 403, errors.SignatureDoesNotMatch: 403, errors.InvalidAccessKeyId: 403,
        errors.RequestTimeTooSkewed: 403, errors.AuthorizationHeaderMalformed: 400,
        errors.AuthorizationQueryParametersError: 400, errors.BucketNotEmpty: 409,
        errors.BucketAlreadyOwnedByYou: 409, errors.BucketAlreadyExists: 409, errors.InvalidBucketName: 400,
        errors.KeyTooLongError: 400, errors.InvalidRange: 416, errors.BadDigest: 400, errors.InvalidDigest: 400,
        errors.XAmzContentSHA256Mismatch: 400, errors.IncompleteBody: 400, errors.EntityTooLarge: 400,
        errors.MalformedXML: 400, errors.MissingContentLength: 411, errors.PreconditionFailed: 412,
        errors.MethodNotAllowed: 405, errors.NotImplemented: 501, errors.InternalError: 500,
        errors.ServiceUnavailable: 503, errors.InsufficientStorage: 507, errors.RequestHeaderSectionTooLarge: 400,
        errors.InvalidRequest: 400, errors.InvalidArgument: 400, errors.NoSuchBucket: 404,
    }  # fmt: skip
    for cls, status in expected.items():
        assert cls.status == status, cls.code
    assert errors.request_expired().message == "Request has expired"


def test_backend_error_mapping() -> None:
    cases: list[tuple[be.BackendError, type[errors.S3Error]]] = [
        (be.BucketNotFound("b"), errors.NoSuchBucket),
        (be.ObjectNotFound("k"), errors.NoSuchKey),
        (be.BucketNotEmpty("b"), errors.BucketNotEmpty),
        (be.BucketAlreadyExists("b", owned_by_you=True), errors.BucketAlreadyOwnedByYou),
        (be.BucketAlreadyExists("b", owned_by_you=False), errors.BucketAlreadyExists),
        (be.DigestMismatch("k"), errors.BadDigest),
        (be.IncompleteBody("k"), errors.IncompleteBody),
        (be.PreconditionFailed("k"), errors.PreconditionFailed),
        (be.ServiceUnavailable("osd"), errors.ServiceUnavailable),
        (be.InsufficientStorage("full"), errors.InsufficientStorage),
        (be.BackendError("?"), errors.InternalError),
    ]
    for exc, cls in cases:
        assert type(errors.from_backend(exc)) is cls


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 10, None),
        ("bytes=0-0", 10, (0, 0)),
        ("bytes=2-4", 10, (2, 4)),
        ("bytes=5-", 10, (5, 9)),
        ("bytes=5-100", 10, (5, 9)),
        ("bytes=-3", 10, (7, 9)),
        ("bytes=-30", 10, (0, 9)),
        ("bytes=0-1,3-4", 10, None),
        ("bytes=4-2", 10, None),
        ("items=0-1", 10, None),
        ("bytes=a-b", 10, None),
    ],
)
def test_ranges(header: str | None, size: int, expected: tuple[int, int] | None) -> None:
    assert ranges.parse_range(header, size) == expected


@pytest.mark.parametrize(
    ("header", "size"), [("bytes=10-", 10), ("bytes=10-20", 10), ("bytes=-0", 10), ("bytes=0-", 0)]
)
def test_unsatisfiable_ranges(header: str, size: int) -> None:
    with pytest.raises(errors.InvalidRange) as exc:
        ranges.parse_range(header, size)
    assert exc.value.headers["content-range"] == f"bytes */{size}"


INFO = be.ObjectInfo("b", "k", 3, "abc", last_modified=1_700_000_000.5)
BEFORE, AFTER = http_date(1_699_999_000), http_date(1_700_001_000)


@pytest.mark.parametrize(
    ("headers", "outcome"),
    [
        ({}, None),
        ({"if-match": '"abc"'}, None),
        ({"if-match": '"x", "abc"'}, None),
        ({"if-match": "*"}, None),
        ({"if-match": '"x"'}, errors.PreconditionFailed),
        ({"if-none-match": '"abc"'}, errors.NotModified),
        ({"if-none-match": '"x"'}, None),
        ({"if-modified-since": AFTER}, errors.NotModified),
        ({"if-modified-since": BEFORE}, None),
        ({"if-unmodified-since": BEFORE}, errors.PreconditionFailed),
        ({"if-unmodified-since": AFTER}, None),
        # AWS precedence: If-Match true wins over If-Unmodified-Since false ...
        ({"if-match": '"abc"', "if-unmodified-since": BEFORE}, None),
        # ... and If-None-Match false (etag differs) wins over If-Modified-Since true.
        ({"if-none-match": '"x"', "if-modified-since": AFTER}, None),
        ({"if-modified-since": "not a date"}, None),
    ],
)
def test_conditionals(headers: dict[str, str], outcome: type[errors.S3Error] | None) -> None:
    if outcome is None:
        conditionals.check_preconditions(headers, INFO)
    else:
        with pytest.raises(outcome):
            conditionals.check_preconditions(headers, INFO)


def test_checksums() -> None:
    assert checksums.crc32c_python(b"123456789") == 0xE3069283  # the CRC-32C check value
    assert checksums.crc32c(b"123456789", 0) == 0xE3069283
    assert checksums.crc64nvme(b"123456789") == 0xAE8B14860A799888  # the CRC-64/NVME check value
    crc64 = checksums.new_hasher("crc64nvme")
    crc64.update(b"1234")
    crc64.update(b"56789")
    assert crc64.digest() == (0xAE8B14860A799888).to_bytes(8, "big")
    hasher = checksums.new_hasher("crc32")
    hasher.update(b"ab")
    hasher.update(b"c")
    assert hasher.digest() == zlib.crc32(b"abc").to_bytes(4, "big")
    assert checksums.decode_checksum("crc32", base64.b64encode(b"1234").decode()) == b"1234"
    with pytest.raises(errors.InvalidRequest):
        checksums.decode_checksum("sha256", "AAAA")
    with pytest.raises(errors.InvalidDigest):
        checksums.decode_content_md5("nope")


def test_list_params_and_tokens() -> None:
    assert list_params({}, 1000).max_keys == 1000
    assert list_params({"max-keys": "5000"}, 1000).max_keys == 1000
    with pytest.raises(errors.InvalidArgument):
        list_params({"max-keys": "-1"}, 1000)
    assert decode_token(encode_token("a/b/ü")) == "a/b/ü"
    with pytest.raises(errors.InvalidArgument):
        decode_token("garbage")


def test_time_formats() -> None:
    assert iso8601(1_700_000_000.123) == "2023-11-14T22:13:20.123Z"
    assert http_date(1_700_000_000) == "Tue, 14 Nov 2023 22:13:20 GMT"


def test_config_defaults_and_relations() -> None:
    config = GatewayConfig()
    config.validate()
    assert config.object_bytes_max == 5 * 1024**3
    for field in dataclasses.fields(GatewayConfig):
        assert field.metadata.get("help"), field.name
    for bad in (
        {"object_bytes_max": 6 * 1024**3},
        {"presign_expires_seconds_max": 604801},
        {"list_keys_max": 1001},
        {"tls_cert_file": "cert.pem"},
        {"log_level": "loud"},
    ):
        with pytest.raises(ConfigError):
            dataclasses.replace(config, **bad).validate()
