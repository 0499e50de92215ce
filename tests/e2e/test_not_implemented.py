"""The NotImplemented audit against the real cluster: every S3 operation the gateway does not
implement answers ``501 NotImplemented`` in S3 XML (or the documented truthful answer: the AWS
"not configured" error, an empty configuration), never a crash or a silent wrong answer; and
malformed requests never take the gateway down (it still answers afterwards, and logged no
unexpected error).

Sub-resources that other parts of issue #4 implement (ACLs, policies, public access block,
ownership controls, versioning, object tagging, GetObjectAttributes) are left to their own tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from objectio.cli.aio import AllInOne
from tests.e2e.raw_http import Reply, gateway_problems, send, send_bytes, signed_head

pytestmark = pytest.mark.e2e

LIFECYCLE = (
    b"<LifecycleConfiguration><Rule><ID>r</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>"
    b"<Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>"
)
XML = b"<Configuration/>"
SELECT = (
    b"<SelectObjectContentRequest><Expression>select * from s3object</Expression><ExpressionType>SQL"
    b"</ExpressionType><InputSerialization><CSV/></InputSerialization><OutputSerialization><CSV/>"
    b"</OutputSerialization></SelectObjectContentRequest>"
)
FORM = (
    b'--xx\r\nContent-Disposition: form-data; name="key"\r\n\r\nform.txt\r\n--xx\r\n'
    b'Content-Disposition: form-data; name="file"; filename="f"\r\n\r\nhello\r\n--xx--\r\n'
)
# (method, path under the bucket ("" = the bucket, "/k" = an object), query, body, extra headers)
NOT_IMPLEMENTED: list[tuple[str, str, str, bytes, dict[str, str]]] = [
    ("PUT", "", "lifecycle", LIFECYCLE, {}),
    ("DELETE", "", "lifecycle", b"", {}),
    ("PUT", "", "website", XML, {}),
    ("DELETE", "", "website", b"", {}),
    ("PUT", "", "encryption", XML, {}),
    ("DELETE", "", "encryption", b"", {}),
    ("PUT", "", "replication", XML, {}),
    ("DELETE", "", "replication", b"", {}),
    ("PUT", "", "object-lock", XML, {}),
    ("PUT", "", "notification", XML, {}),
    ("PUT", "", "logging", XML, {}),
    ("PUT", "", "accelerate", XML, {}),
    ("PUT", "", "requestPayment", XML, {}),
    ("GET", "", "analytics", b"", {}),
    ("GET", "", "analytics&id=a", b"", {}),
    ("PUT", "", "analytics&id=a", XML, {}),
    ("DELETE", "", "analytics&id=a", b"", {}),
    ("GET", "", "metrics&id=m", b"", {}),
    ("PUT", "", "metrics&id=m", XML, {}),
    ("GET", "", "inventory&id=i", b"", {}),
    ("PUT", "", "inventory&id=i", XML, {}),
    ("GET", "", "intelligent-tiering&id=t", b"", {}),
    ("PUT", "", "intelligent-tiering&id=t", XML, {}),
    ("GET", "", "session", b"", {}),
    ("GET", "", "metadataTable", b"", {}),
    ("POST", "", "metadataConfiguration", XML, {}),
    ("POST", "/k", "select&select-type=2", SELECT, {}),
    ("POST", "/k", "restore", b"<RestoreRequest><Days>1</Days></RestoreRequest>", {}),
    ("GET", "/k", "torrent", b"", {}),
    ("GET", "/k", "retention", b"", {}),
    ("PUT", "/k", "retention", XML, {}),
    ("GET", "/k", "legal-hold", b"", {}),
    ("PUT", "/k", "legal-hold", XML, {}),
    ("PUT", "/k", "renameObject", b"", {"x-amz-rename-source": "/other"}),
    ("POST", "", "", FORM, {"Content-Type": "multipart/form-data; boundary=xx"}),  # browser form upload
    ("PUT", "/k", "", b"x", {"x-amz-server-side-encryption": "aws:kms"}),
    ("PUT", "/k", "", b"x", {"x-amz-server-side-encryption-customer-algorithm": "AES256"}),
    ("PUT", "/k", "", b"x", {"x-amz-object-lock-mode": "GOVERNANCE"}),
    ("PUT", "/k", "", b"x", {"x-amz-website-redirect-location": "/elsewhere"}),
    ("PUT", "/k", "", b"x", {"x-amz-write-offset-bytes": "1"}),
    ("PUT", "/k", "", b"x", {"If-Match": '"abc"'}),
]
# Reads of never-configured bucket settings: the truthful AWS answer.
NOT_CONFIGURED: list[tuple[str, int, str]] = [
    ("lifecycle", 404, "NoSuchLifecycleConfiguration"),
    ("website", 404, "NoSuchWebsiteConfiguration"),
    ("encryption", 404, "ServerSideEncryptionConfigurationNotFoundError"),
    ("replication", 404, "ReplicationConfigurationNotFoundError"),
    ("object-lock", 404, "ObjectLockConfigurationNotFoundError"),
    ("logging", 200, ""),
    ("notification", 200, ""),
    ("accelerate", 200, ""),
    ("requestPayment", 200, ""),
]


@pytest.fixture(scope="module")
def bucket(cluster: AllInOne) -> Iterator[str]:
    name = f"audit-{uuid.uuid4().hex[:10]}"
    assert send(cluster, "PUT", f"/{name}").status == 200
    assert send(cluster, "PUT", f"/{name}/k", b"object").status == 200
    yield name


@pytest.fixture(autouse=True)
def no_unexpected_errors(cluster: AllInOne) -> Iterator[None]:
    before = gateway_problems(cluster)
    yield
    assert gateway_problems(cluster) == before, "the gateway logged an unexpected error or answered 500"
    assert send(cluster, "GET", "/health/live", sign=False).status == 200
    assert cluster.daemons["gateway"].alive()


def check_error(reply: Reply, status: int, code: str, context: Any) -> None:
    assert (reply.status, reply.code) == (status, code), (context, reply.body[:300])
    assert reply.headers.get("content-type") == "application/xml", context
    assert b"<RequestId>" in reply.body, context


@pytest.mark.parametrize(("method", "path", "query", "body", "headers"), NOT_IMPLEMENTED)
def test_unimplemented_operations_answer_501(
    cluster: AllInOne, bucket: str, method: str, path: str, query: str, body: bytes, headers: dict[str, str]
) -> None:
    reply = send(cluster, method, f"/{bucket}{path}" + (f"?{query}" if query else ""), body, headers)
    check_error(reply, 501, "NotImplemented", (method, path, query, headers))
    got = send(cluster, "GET", f"/{bucket}/k")
    assert (got.status, got.body) == (200, b"object"), "a refused request changed the object"


@pytest.mark.parametrize(("subresource", "status", "code"), NOT_CONFIGURED)
def test_reads_of_never_configured_settings(
    cluster: AllInOne, bucket: str, subresource: str, status: int, code: str
) -> None:
    reply = send(cluster, "GET", f"/{bucket}?{subresource}")
    if code:
        check_error(reply, status, code, subresource)
    else:
        assert reply.status == status and reply.body.startswith(b"<?xml"), (subresource, reply.body[:200])


def test_unknown_methods_and_service_level_requests(cluster: AllInOne, bucket: str) -> None:
    check_error(send(cluster, "PATCH", f"/{bucket}/k", b"x"), 405, "MethodNotAllowed", "PATCH")
    check_error(send(cluster, "DELETE", "/"), 405, "MethodNotAllowed", "DELETE /")
    v2 = send(cluster, "GET", f"/{bucket}", headers={"Authorization": "AWS AKID:c2ln"}, sign=False)
    check_error(v2, 400, "InvalidRequest", "SigV2")


def test_keys_with_dot_segments_are_opaque(cluster: AllInOne, bucket: str) -> None:
    for key in ("../escape", "a/../b", "./x", "..", "a//b"):
        assert send(cluster, "PUT", f"/{bucket}/{key}", key.encode()).status == 200, key
        got = send(cluster, "GET", f"/{bucket}/{key}")
        assert (got.status, got.body) == (200, key.encode()), key
    assert send(cluster, "GET", f"/{bucket}/b").status == 404  # "a/../b" was not normalised into "b"


def test_malformed_requests_do_not_hurt_the_gateway(cluster: AllInOne, bucket: str) -> None:
    check_error(send(cluster, "GET", f"/{bucket}/k", headers={"X-Big": "v" * 20_000}), 400,
                "RequestHeaderSectionTooLarge", "big header")  # fmt: skip
    huge_head = send_bytes(cluster, f"GET /{bucket}/k HTTP/1.1\r\nHost: x\r\nX: {'v' * 200_000}\r\n\r\n".encode())
    assert huge_head == b"" or huge_head.startswith(b"HTTP/1.1 4"), huge_head[:100]
    assert send_bytes(cluster, b"\x00\x01\x02 garbage\r\n\r\n").startswith(b"HTTP/1.1 400")
    check_error(send(cluster, "GET", f"/{bucket}/%ff%fe"), 400, "InvalidArgument", "bad UTF-8")
    check_error(send(cluster, "GET", f"/{bucket}/{'k' * 1025}"), 400, "KeyTooLongError", "long key")
    for op_path, xml in ((f"/{bucket}?delete", b"<Delete><Object>"), (f"/{bucket}?cors", b"\x00\xffnot xml")):
        reply = send(cluster, "POST" if "delete" in op_path else "PUT", op_path, xml, {"Content-MD5": md5_b64(xml)})
        check_error(reply, 400, "MalformedXML", op_path)
    upload = send(cluster, "POST", f"/{bucket}/mpu?uploads")
    upload_id = upload.body.split(b"<UploadId>")[1].split(b"</UploadId>")[0].decode()
    complete = send(cluster, "POST", f"/{bucket}/mpu?uploadId={upload_id}", b"<CompleteMultipartUpload><Part>")
    check_error(complete, 400, "MalformedXML", "complete")
    assert send(cluster, "DELETE", f"/{bucket}/mpu?uploadId={upload_id}").status == 204


def test_truncated_bodies_store_nothing(cluster: AllInOne, bucket: str) -> None:
    for length, sent in ((1000, b"0123456789"), (5_000_000, b"x" * 100_000)):
        head = signed_head(cluster, "PUT", f"/{bucket}/truncated", {"Content-Length": str(length)})
        reply = send_bytes(cluster, head + sent)  # then the client goes away
        assert reply == b"" or reply.startswith(b"HTTP/1.1 400"), reply[:200]
    assert send(cluster, "HEAD", f"/{bucket}/truncated").status == 404
    assert send(cluster, "PUT", f"/{bucket}/truncated", b"whole").status == 200  # and it still answers


def md5_b64(data: bytes) -> str:
    import base64
    import hashlib

    return base64.b64encode(hashlib.md5(data).digest()).decode()
