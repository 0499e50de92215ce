"""Functional: malformed and unusual input sent with ``requests`` (signed by botocore's signer)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import socket
import urllib.parse
import xml.etree.ElementTree as ET
from typing import Any

import requests
from s3_harness import Server, read_reply, signed, signed_head

from objectio.gateway.checksums import crc32c_python


def code_of(response: Any) -> str:
    root = ET.fromstring(response.content)
    assert root.tag == "Error", response.content
    assert root.findtext("RequestId") == response.headers["x-amz-request-id"]
    return root.findtext("Code") or ""


def test_anonymous_is_denied(server: Server, bucket: str) -> None:
    response = requests.get(f"{server.url}/{bucket}/k", timeout=5)
    assert response.status_code == 403
    assert code_of(response) == "AccessDenied"


def test_bad_authorization_header(server: Server) -> None:
    response = requests.get(f"{server.url}/", headers={"Authorization": "AWS4-HMAC-SHA256 garbage"}, timeout=5)
    assert response.status_code == 400
    assert code_of(response) == "AuthorizationHeaderMalformed"
    v2 = requests.get(f"{server.url}/", headers={"Authorization": "AWS AKID:sig"}, timeout=5)
    assert code_of(v2) == "InvalidRequest"


def test_wrong_secret(server: Server) -> None:
    from s3_harness import ALICE

    from objectio.gateway.backend import AccessKey

    impostor = AccessKey(ALICE.access_key, "not-the-secret", "alice")
    response = signed(server, "GET", "/", key=impostor)
    assert response.status_code == 403
    assert code_of(response) == "SignatureDoesNotMatch"
    unknown = signed(server, "GET", "/", key=AccessKey("AKIDNOBODY", "x", "nobody"))
    assert code_of(unknown) == "InvalidAccessKeyId"


def test_malformed_xml(server: Server, bucket: str) -> None:
    body = b"<Delete><Object><Key>a</Key></Object"
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    response = signed(server, "POST", f"/{bucket}?delete", body, {"Content-MD5": md5})
    assert response.status_code == 400
    assert code_of(response) == "MalformedXML"
    bomb = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><Delete>&a;</Delete>'
    md5 = base64.b64encode(hashlib.md5(bomb).digest()).decode()
    assert code_of(signed(server, "POST", f"/{bucket}?delete", bomb, {"Content-MD5": md5})) == "MalformedXML"
    nomd5 = signed(server, "POST", f"/{bucket}?delete", b"<Delete/>")
    assert code_of(nomd5) == "InvalidRequest"
    config = b"<CreateBucketConfiguration><LocationConstraint>"
    assert code_of(signed(server, "PUT", "/new-bucket-xml", config)) == "MalformedXML"


def test_content_md5(server: Server, bucket: str) -> None:
    bad = signed(server, "PUT", f"/{bucket}/m", b"data", {"Content-MD5": "not base64!"})
    assert code_of(bad) == "InvalidDigest"
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    mismatch = signed(server, "PUT", f"/{bucket}/m", b"data", {"Content-MD5": wrong})
    assert mismatch.status_code == 400
    assert code_of(mismatch) == "BadDigest"
    assert "m" not in server.backend.objects[bucket]
    right = base64.b64encode(hashlib.md5(b"data").digest()).decode()
    assert signed(server, "PUT", f"/{bucket}/m", b"data", {"Content-MD5": right}).status_code == 200


def test_checksum_headers(server: Server, bucket: str) -> None:
    good = base64.b64encode(crc32c_python(b"data").to_bytes(4, "big")).decode()
    ok = signed(server, "PUT", f"/{bucket}/c", b"data", {"x-amz-checksum-crc32c": good})
    assert ok.status_code == 200
    assert ok.headers["x-amz-checksum-crc32c"] == good
    bad = signed(server, "PUT", f"/{bucket}/c2", b"data", {"x-amz-checksum-crc32c": "AAAAAA=="})
    assert code_of(bad) == "BadDigest"
    assert "c2" not in server.backend.objects[bucket]
    invalid = signed(server, "PUT", f"/{bucket}/c3", b"data", {"x-amz-checksum-sha256": "short"})
    assert code_of(invalid) == "InvalidRequest"


def test_payload_sha256_mismatch(server: Server, bucket: str) -> None:
    response = signed(server, "PUT", f"/{bucket}/sha", b"actual", payload_hash=hashlib.sha256(b"claimed").hexdigest())
    assert response.status_code == 400
    assert code_of(response) == "XAmzContentSHA256Mismatch"
    assert "sha" not in server.backend.objects[bucket]


def test_dot_dot_keys_are_plain_keys(server: Server, bucket: str) -> None:
    for key in ("../../etc/passwd", "a/../b", "a//b/./c", "..", "nul\x00byte"):
        # Percent-encode dots too, or the HTTP client itself would collapse the dot segments.
        encoded = urllib.parse.quote(key, safe="").replace(".", "%2E")
        assert signed(server, "PUT", f"/{bucket}/{encoded}", b"v:" + key.encode()).status_code == 200, key
        got = signed(server, "GET", f"/{bucket}/{encoded}")
        assert got.content == b"v:" + key.encode()
    assert "../../etc/passwd" in server.backend.objects[bucket]
    assert "a/../b" in server.backend.objects[bucket]


def test_key_and_bucket_validation(server: Server, bucket: str) -> None:
    assert code_of(signed(server, "PUT", f"/{bucket}/{'k' * 1025}", b"x")) == "KeyTooLongError"
    for name in ("ab", "Upper", "192.168.1.1", "a..b", "-start"):
        assert code_of(signed(server, "PUT", f"/{name}")) == "InvalidBucketName", name


def test_unsupported_subresources(server: Server, bucket: str) -> None:
    for method, query in (("PUT", "versioning"), ("PUT", "lifecycle"), ("GET", "analytics")):
        response = signed(server, method, f"/{bucket}?{query}")
        assert response.status_code == 501, query
        assert code_of(response) == "NotImplemented"
    copy = signed(server, "PUT", f"/{bucket}/dst", b"", {"x-amz-copy-source": f"/{bucket}/src?versionId=3"})
    assert code_of(copy) == "InvalidArgument"  # not a version id
    response = signed(server, "PUT", f"/{bucket}/h", b"x", {"x-amz-server-side-encryption": "AES256"})
    assert (response.status_code, code_of(response)) == (501, "NotImplemented")
    assert signed(server, "PUT", f"/{bucket}/h", b"x", {"x-amz-acl": "private"}).status_code == 200
    assert signed(server, "PUT", f"/{bucket}/h", b"x", {"x-amz-tagging": "a=b"}).status_code == 200
    assert code_of(signed(server, "PUT", f"/{bucket}/h", b"x", {"x-amz-tagging": "aws:x=1"})) == "InvalidTag"
    assert code_of(signed(server, "PUT", f"/{bucket}/h", b"x", {"x-amz-acl": "no-such-acl"})) == "InvalidArgument"
    assert code_of(signed(server, "PUT", f"/{bucket}/h", b"x", {"x-amz-grant-read": "uri=x"})) == "InvalidArgument"
    assert code_of(signed(server, "PUT", f"/{bucket}/h", b"x", {"x-amz-storage-class": "GLACIER"})) == (
        "InvalidStorageClass"
    )
    assert signed(server, "PUT", f"/{bucket}/h", b"x", {"x-amz-storage-class": "STANDARD"}).status_code == 200


def test_huge_content_length(server: Server, bucket: str) -> None:
    head = signed_head(server, "PUT", f"/{bucket}/huge", {"Content-Length": str(6 * 1024**3)})
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head)
        reply = read_reply(sock)
    assert reply.startswith(b"HTTP/1.1 400")
    assert b"EntityTooLarge" in reply
    assert signed(server, "GET", "/").status_code == 200  # still serving


def test_missing_content_length(server: Server, bucket: str) -> None:
    head = signed_head(server, "PUT", f"/{bucket}/nolen", {"Transfer-Encoding": "chunked"})
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head + b"3\r\nabc\r\n0\r\n\r\n")
        reply = read_reply(sock)
    assert reply.startswith(b"HTTP/1.1 411")
    assert b"MissingContentLength" in reply


def test_truncated_body_keeps_server_alive(server: Server, bucket: str) -> None:
    head = signed_head(server, "PUT", f"/{bucket}/cut", {"Content-Length": "100"})
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head + b"x" * 40)
        sock.shutdown(socket.SHUT_WR)
        with contextlib.suppress(OSError):
            sock.recv(65536)
    assert "cut" not in server.backend.objects[bucket]
    assert signed(server, "GET", "/").status_code == 200


def test_oversized_headers(server: Server) -> None:
    response = signed(server, "GET", "/", headers={"x-pad": "p" * (server.config.request_header_bytes_max + 100)})
    assert response.status_code == 400
    assert code_of(response) == "RequestHeaderSectionTooLarge"
    assert signed(server, "GET", "/").status_code == 200


def test_health_and_metrics(server: Server) -> None:
    assert requests.get(f"{server.url}/health/live", timeout=5).status_code == 200
    assert requests.get(f"{server.url}/health/ready", timeout=5).status_code == 200
    server.backend.is_ready = False
    try:
        assert requests.get(f"{server.url}/health/ready", timeout=5).status_code == 503
    finally:
        server.backend.is_ready = True
    metrics = requests.get(f"{server.url}/metrics", timeout=5).text
    assert "objectio_s3_requests_total" in metrics
    assert "objectio_s3_request_duration_seconds_bucket" in metrics
    assert "objectio_s3_received_bytes_total" in metrics
    assert "objectio_s3_sent_bytes_total" in metrics


def test_errors_on_head_have_no_body(server: Server, bucket: str) -> None:
    response = signed(server, "HEAD", f"/{bucket}/absent")
    assert response.status_code == 404
    assert response.content == b""


def test_delete_objects_limits(server: Server, bucket: str) -> None:
    body = ("<Delete>" + "<Object><Key>k</Key></Object>" * 1001 + "</Delete>").encode()
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    assert code_of(signed(server, "POST", f"/{bucket}?delete", body, {"Content-MD5": md5})) == "MalformedXML"
    wrong = base64.b64encode(hashlib.md5(b"x").digest()).decode()
    small = b"<Delete><Object><Key>k</Key></Object></Delete>"
    assert code_of(signed(server, "POST", f"/{bucket}?delete", small, {"Content-MD5": wrong})) == "BadDigest"
    long_key = b"<Delete><Object><Key>" + b"k" * 1100 + b"</Key></Object></Delete>"
    md5 = base64.b64encode(hashlib.md5(long_key).digest()).decode()
    reply = signed(server, "POST", f"/{bucket}?delete", long_key, {"Content-MD5": md5})
    assert reply.status_code == 200 and b"<Code>KeyTooLongError</Code>" in reply.content


def test_create_bucket_configuration(server: Server) -> None:
    ok = b"<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>"
    assert signed(server, "PUT", "/cfg-bucket-ok", ok, {"x-objectio-pool": "fast"}).status_code == 200
    assert server.backend.buckets["cfg-bucket-ok"].pool == "fast"
    other = b"<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"
    assert code_of(signed(server, "PUT", "/cfg-bucket-other", other)) == "InvalidArgument"
    wrong_root = b"<Something/>"
    assert code_of(signed(server, "PUT", "/cfg-bucket-root", wrong_root)) == "MalformedXML"
