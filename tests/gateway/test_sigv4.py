"""SigV4 verification against signatures computed by botocore's signer (header and presigned)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from memory_backend import MemoryBackend
from s3_harness import ALICE, REGION

from objectio.gateway import errors
from objectio.gateway.auth import sigv4
from objectio.gateway.auth.verify import Identity, authenticate
from objectio.gateway.backend import AccessKey
from objectio.gateway.request import headers_from_scope, parse_request

HOST = "s3.test:9000"


def scope_of(request: AWSRequest) -> dict[str, Any]:
    url = urlsplit(request.url)
    headers = [(k.lower().encode(), str(v).encode()) for k, v in request.headers.items()]
    if not any(name == b"host" for name, _ in headers):
        headers.append((b"host", url.netloc.encode()))
    return {
        "type": "http",
        "method": request.method,
        "path": url.path,
        "raw_path": url.path.encode(),
        "query_string": url.query.encode(),
        "headers": headers,
    }


def header_signed(method: str, path: str, key: AccessKey = ALICE, headers: dict[str, str] | None = None) -> AWSRequest:
    all_headers = {"x-amz-content-sha256": sigv4.EMPTY_SHA256, **(headers or {})}
    request = AWSRequest(method=method, url=f"http://{HOST}{path}", headers=all_headers)
    S3SigV4Auth(Credentials(key.access_key, key.secret_key), "s3", REGION).add_auth(request)
    return request


def presigned(path: str, expires: int = 60, key: AccessKey = ALICE) -> AWSRequest:
    request = AWSRequest(method="GET", url=f"http://{HOST}{path}")
    S3SigV4QueryAuth(Credentials(key.access_key, key.secret_key), "s3", REGION, expires=expires).add_auth(request)
    return request


async def verify(request: AWSRequest, *, now: float | None = None, **limits: int) -> Identity:
    scope = scope_of(request)
    req = parse_request(scope, headers_from_scope(scope), "")
    return await authenticate(
        req,
        MemoryBackend([ALICE]),
        sigv4.SigningKeyCache(16),
        region=REGION,
        skew_max_seconds=limits.get("skew", 900),
        presign_expires_max_seconds=limits.get("expires_max", 604800),
        now=now,
    )


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/bucket",
        "/bucket/key",
        "/bucket/a%20b/c%2Bd%3F",
        "/bucket/%E2%82%AC/x?prefix=a%2Fb&max-keys=3",
        "/bkt/?acl",
    ],
)
async def test_header_signature_verifies(path: str) -> None:
    identity = await verify(header_signed("GET", path))
    assert identity.user == "alice"
    assert identity.payload_hash == sigv4.EMPTY_SHA256


async def test_presigned_verifies() -> None:
    identity = await verify(presigned("/bucket/some%20key"))
    assert identity.payload_hash == sigv4.UNSIGNED_PAYLOAD


async def test_wrong_secret_is_signature_mismatch() -> None:
    impostor = AccessKey(ALICE.access_key, "wrong", "alice")
    with pytest.raises(errors.SignatureDoesNotMatch):
        await verify(header_signed("GET", "/bucket/key", impostor))
    with pytest.raises(errors.SignatureDoesNotMatch):
        await verify(presigned("/bucket/key", key=impostor))


async def test_unknown_key() -> None:
    with pytest.raises(errors.InvalidAccessKeyId):
        await verify(header_signed("GET", "/", AccessKey("AKIDUNKNOWN", "x", "x")))


async def test_tampered_request_is_rejected() -> None:
    request = header_signed("GET", "/bucket/key")
    request.url = request.url.replace("/key", "/other")
    with pytest.raises(errors.SignatureDoesNotMatch):
        await verify(request)


async def test_clock_skew() -> None:
    with pytest.raises(errors.RequestTimeTooSkewed):
        await verify(header_signed("GET", "/"), now=time.time() + 3600)


async def test_presigned_expiry() -> None:
    with pytest.raises(errors.AccessDenied, match="Request has expired"):
        await verify(presigned("/bkt/k", expires=60), now=time.time() + 120)
    with pytest.raises(errors.AuthorizationQueryParametersError):
        await verify(presigned("/bkt/k", expires=604801))


async def test_anonymous_and_malformed() -> None:
    request = AWSRequest(method="GET", url=f"http://{HOST}/bkt/k")
    anonymous = await verify(request)  # evaluated as principal "*" by the access checks
    assert anonymous.anonymous and anonymous.user == "" and anonymous.payload_hash == sigv4.UNSIGNED_PAYLOAD
    request.headers["x-amz-content-sha256"] = sigv4.STREAMING_SIGNED
    with pytest.raises(errors.AccessDenied):
        await verify(request)  # a signed stream needs a signature
    del request.headers["x-amz-content-sha256"]
    request.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=AK/2020/us-east-1/s3/aws4_request"
    with pytest.raises(errors.AuthorizationHeaderMalformed):
        await verify(request)


async def test_wrong_region() -> None:
    request = AWSRequest(method="GET", url=f"http://{HOST}/", headers={"x-amz-content-sha256": sigv4.EMPTY_SHA256})
    S3SigV4Auth(Credentials(ALICE.access_key, ALICE.secret_key), "s3", "eu-west-1").add_auth(request)
    with pytest.raises(errors.AuthorizationHeaderMalformed, match="eu-west-1"):
        await verify(request)


async def test_missing_content_sha256() -> None:
    request = AWSRequest(method="GET", url=f"http://{HOST}/")
    S3SigV4Auth(Credentials(ALICE.access_key, ALICE.secret_key), "s3", REGION).add_auth(request)
    del request.headers["x-amz-content-sha256"]
    with pytest.raises(errors.InvalidRequest):
        await verify(request)


def test_signing_key_cache_is_bounded_and_secret_aware() -> None:
    cache = sigv4.SigningKeyCache(2)
    first = cache.get("ak", "s1", "20250101", "r")
    assert cache.get("ak", "s1", "20250101", "r") == first
    assert cache.get("ak", "s2", "20250101", "r") != first  # rotated secret: new key
    cache.get("ak", "s1", "20250102", "r")
    assert len(cache) == 2


def test_canonical_query_candidates() -> None:
    assert sigv4.canonical_query_candidates("delimiter=/&uploads", drop_signature=False) == [
        "delimiter=%2F&uploads=",
        "delimiter=/&uploads=",
    ]
    assert sigv4.canonical_query_candidates("a=1&b=2", drop_signature=False) == ["a=1&b=2"]


def test_canonical_query_sorting_and_encoding() -> None:
    raw = "b=2&a=x%20y&X-Amz-Signature=ff&a=1&empty"
    assert sigv4.canonical_query(raw, drop_signature=True) == "a=1&a=x%20y&b=2&empty="


async def test_unsigned_amz_headers_are_refused() -> None:
    request = header_signed("PUT", "/bucket/key")
    request.headers["x-amz-meta-injected"] = "1"
    with pytest.raises(errors.AccessDenied, match="not signed"):
        await verify(request)


def test_canonical_uri_candidates() -> None:
    assert sigv4.canonical_uri_candidates("/bucket/plain-key_1.txt~") == ["/bucket/plain-key_1.txt~"]
    assert sigv4.canonical_uri_candidates("/b/a%20b") == ["/b/a%20b"]
    assert sigv4.canonical_uri_candidates("/b/a b!") == ["/b/a b!", "/b/a%20b%21"]
    assert sigv4.canonical_uri_candidates("/b/x%2Fy") == ["/b/x%2Fy", "/b/x/y"]
