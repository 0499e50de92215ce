"""Functional: signed aws-chunked PUTs (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) over a socket."""

from __future__ import annotations

import base64
import hashlib
import re
import socket
import zlib
from typing import Any

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from s3_harness import ALICE, REGION, Server, read_reply, signed

from objectio.gateway.auth import sigv4


def streaming_put(server: Server, path: str, chunks: list[bytes], *, trailer: bool = False, tamper: int = -1) -> bytes:
    """Send ``chunks`` as a signed aws-chunked body; ``tamper`` flips a byte of that chunk after signing."""
    mode: str = sigv4.STREAMING_SIGNED_TRAILER if trailer else sigv4.STREAMING_SIGNED
    data = b"".join(chunks)
    headers = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data))}
    if trailer:
        headers["x-amz-trailer"] = "x-amz-checksum-crc32"

    class Signer(S3SigV4Auth):  # type: ignore[misc]
        def payload(self, request: Any) -> str:
            return mode

    request = AWSRequest(method="PUT", url=server.url + path, headers=headers)
    Signer(Credentials(ALICE.access_key, ALICE.secret_key), "s3", REGION).add_auth(request)
    auth = request.headers["Authorization"]
    seed = auth.rsplit("Signature=", 1)[1]
    amz_date = request.headers["X-Amz-Date"]
    date = amz_date[:8]
    scope = f"{date}/{REGION}/s3/aws4_request"
    key = sigv4.derive_signing_key(ALICE.secret_key, date, REGION)
    body = b""
    previous = seed
    for index, chunk in enumerate([*chunks, b""]):
        signature = sigv4.sign(
            key, sigv4.chunk_string_to_sign(amz_date, scope, previous, hashlib.sha256(chunk).hexdigest())
        )
        previous = signature
        sent = bytes([chunk[0] ^ 1]) + chunk[1:] if index == tamper else chunk
        body += f"{len(chunk):x};chunk-signature={signature}\r\n".encode() + sent + b"\r\n"
    if trailer:
        crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
        canonical = f"x-amz-checksum-crc32:{crc}\n".encode()
        text = sigv4.trailer_string_to_sign(amz_date, scope, previous, hashlib.sha256(canonical).hexdigest())
        body = body[:-2] + canonical.replace(b"\n", b"\r\n")
        body += f"x-amz-trailer-signature:{sigv4.sign(key, text)}\r\n\r\n".encode()
    lines = "".join(f"{k}: {v}\r\n" for k, v in request.headers.items())
    head = f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Length: {len(body)}\r\n{lines}\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head.encode() + body)
        reply: bytes = read_reply(sock)
        return reply


def status(reply: bytes) -> int:
    match = re.match(rb"HTTP/1.1 (\d+)", reply)
    assert match, reply
    return int(match.group(1))


def test_signed_streaming_put(server: Server, bucket: str) -> None:
    chunks = [b"a" * 8192, b"b" * 8192, b"c" * 100]
    assert status(streaming_put(server, f"/{bucket}/streamed", chunks)) == 200
    assert signed(server, "GET", f"/{bucket}/streamed").content == b"".join(chunks)


def test_signed_streaming_put_with_trailer(server: Server, bucket: str) -> None:
    chunks = [b"t" * 9000, b"u" * 10]
    assert status(streaming_put(server, f"/{bucket}/trailed", chunks, trailer=True)) == 200
    info = server.backend.objects[bucket]["trailed"][0]
    assert "x-amz-checksum-crc32" in info.headers


def test_tampered_chunk_stores_nothing(server: Server, bucket: str) -> None:
    reply = streaming_put(server, f"/{bucket}/tampered", [b"a" * 8192, b"b" * 100], tamper=1)
    assert status(reply) == 403
    assert b"SignatureDoesNotMatch" in reply
    assert "tampered" not in server.backend.objects[bucket]
    assert signed(server, "GET", "/").status_code == 200
