"""Test harness: the real app served by Hypercorn in a background thread on a free port."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from memory_backend import MemoryBackend

from objectio.gateway.app import create_app
from objectio.gateway.backend import AccessKey
from objectio.gateway.config import GatewayConfig
from objectio.gateway.server import listen_socket, serve_app

ALICE = AccessKey("AKIDALICE0000000", "alice-secret-key/with+chars", "alice")
BOB = AccessKey("AKIDBOB000000000", "bob-secret-key", "bob")
REGION = "us-east-1"


def make_config(**overrides: Any) -> GatewayConfig:
    config = replace(GatewayConfig(), listen_port=9000, **overrides)
    config.validate()
    return config


@dataclass
class Server:
    url: str
    port: int
    backend: MemoryBackend
    config: GatewayConfig
    ca_file: str | None = None

    def client(self, key: AccessKey = ALICE, **config: Any) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=key.access_key,
            aws_secret_access_key=key.secret_key,
            verify=self.ca_file if self.ca_file else True,
            config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config),
        )


class ServerThread:
    def __init__(self, config: GatewayConfig, backend: MemoryBackend) -> None:
        self.sock = listen_socket("127.0.0.1", 0)
        self.port = self.sock.getsockname()[1]
        self.config = config
        self.backend = backend
        self.loop = asyncio.new_event_loop()
        self.stop: asyncio.Event | None = None
        self.started = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self.stop = asyncio.Event()
        self.started.set()
        await serve_app(create_app(self.backend, self.config), self.config, self.sock, self.stop.wait)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        self.started.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.stop is not None:
            self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(15)
        self.loop.close()
        self.sock.close()


def new_backend() -> MemoryBackend:
    return MemoryBackend([ALICE, BOB], read_chunk_bytes=8192)


def self_signed(directory: Path) -> tuple[str, str]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


@dataclass
class RawResponse:
    status_code: int
    headers: dict[str, str]
    content: bytes


def send_raw(server: Server, method: str, path: str, body: bytes, headers: dict[str, str]) -> RawResponse:
    """Send exactly this request line (no client-side path normalisation) over a new connection."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return RawResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def signed(
    server: Server,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    key: AccessKey = ALICE,
    payload_hash: str | None = None,
) -> RawResponse:
    """A request signed by botocore's SigV4 signer, sent verbatim (for raw and malformed input)."""
    import hashlib

    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    claimed = payload_hash or hashlib.sha256(body).hexdigest()

    class Signer(S3SigV4Auth):  # type: ignore[misc]
        def payload(self, request: Any) -> str:
            return claimed

    all_headers = {"Content-Length": str(len(body)), **(headers or {})}
    request = AWSRequest(method=method, url=server.url + path, data=body, headers=all_headers)
    Signer(Credentials(key.access_key, key.secret_key), "s3", REGION).add_auth(request)
    sent = {"Host": f"127.0.0.1:{server.port}", **dict(request.headers.items())}
    return send_raw(server, method, path, body, sent)


def signed_head(server: Server, method: str, path: str, headers: dict[str, str]) -> bytes:
    """A signed request head (request line + headers + blank line), for hand-made bodies."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        method=method, url=server.url + path, headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD", **headers}
    )
    S3SigV4Auth(Credentials(ALICE.access_key, ALICE.secret_key), "s3", REGION).add_auth(request)
    lines = "".join(f"{k}: {v}\r\n" for k, v in request.headers.items())
    return f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n{lines}\r\n".encode()


def read_reply(sock: socket.socket) -> bytes:
    """One whole HTTP response (head and Content-Length body) from ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            return data
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        piece = sock.recv(65536)
        if not piece:
            break
        body += piece
    return head + b"\r\n\r\n" + body
