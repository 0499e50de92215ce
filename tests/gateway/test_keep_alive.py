"""Functional: a connection stays usable after an answer that did not need the request body (an
error before the body was read), as clients that reuse connections without checking them (s3cmd,
Python's http.client) expect; a body too large to drop closes it with ``Connection: close``."""

from __future__ import annotations

import hashlib
import http.client
import socket
from typing import Any

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from s3_harness import ALICE, REGION, Server, read_reply, signed_head


def request(connection: http.client.HTTPConnection, server: Server, method: str, path: str, body: bytes = b"") -> Any:
    headers = {"x-amz-content-sha256": hashlib.sha256(body).hexdigest(), "Content-Length": str(len(body))}
    signed = AWSRequest(method=method, url=server.url + path, data=body, headers=headers)
    S3SigV4Auth(Credentials(ALICE.access_key, ALICE.secret_key), "s3", REGION).add_auth(signed)
    connection.request(method, path, body=body, headers=dict(signed.headers.items()))
    response = connection.getresponse()
    response.read()
    return response


LIFECYCLE = b"<LifecycleConfiguration><Rule><Status>Enabled</Status></Rule></LifecycleConfiguration>"


def test_connection_survives_errors_answered_before_the_body(server: Server, bucket: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for method, path, body, status in (
            ("PUT", f"/{bucket}?lifecycle", LIFECYCLE, 501),  # NotImplemented: body never read
            ("HEAD", f"/{bucket}", b"", 200),
            ("PUT", f"/{bucket}-absent/k", b"x" * 100_000, 404),  # NoSuchBucket before the body
            ("PUT", f"/{bucket}/k", b"data", 200),
            ("POST", f"/{bucket}/k?restore", b"<RestoreRequest/>", 501),
            ("GET", f"/{bucket}/k", b"", 200),
        ):
            response = request(connection, server, method, path, body)
            assert response.status == status, (method, path)
            assert response.getheader("connection") != "close", (method, path)
    finally:
        connection.close()


def test_large_unread_body_closes_the_connection(server: Server, bucket: str) -> None:
    too_much = server.config.unread_body_drain_bytes_max + 1
    head = signed_head(server, "PUT", f"/{bucket}-absent/k", {"Content-Length": str(too_much)})
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head + b"x" * 1000)  # the server answers without waiting for the rest
        reply = read_reply(sock)
    status_line, _, rest = reply.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 404")
    assert b"\r\nconnection: close\r\n" in rest.lower()
