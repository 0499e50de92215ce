"""Hand-made requests against a running cluster: signed by botocore's SigV4 signer but sent
verbatim over ``http.client`` (no client-side path normalisation), or as raw bytes on a socket."""

from __future__ import annotations

import hashlib
import http.client
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from objectio.cli.aio import AllInOne

REGION = "us-east-1"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def code(self) -> str:
        """The S3 error code of an XML error body ('' if there is none)."""
        if not self.body.startswith(b"<?xml"):
            return ""
        return ET.fromstring(self.body).findtext("Code") or ""


def send(
    cluster: AllInOne,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    sign: bool = True,
    connection: http.client.HTTPConnection | None = None,
) -> Reply:
    url = urlsplit(cluster.endpoint)
    all_headers = {"Content-Length": str(len(body)), **(headers or {})}
    if sign:
        all_headers["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
        request = AWSRequest(method=method, url=cluster.endpoint + path, data=body, headers=all_headers)
        credentials = Credentials(cluster.credentials.access_key, cluster.credentials.secret_key)
        S3SigV4Auth(credentials, "s3", REGION).add_auth(request)
        all_headers = dict(request.headers.items())
    own = connection is None
    conn = connection or http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in all_headers.items():
            conn.putheader(name, value)
        conn.endheaders(body)
        response = conn.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        if own:
            conn.close()


def send_bytes(cluster: AllInOne, data: bytes, *, close_write: bool = True) -> bytes:
    """Write ``data`` on a new connection and return whatever comes back before it closes."""
    url = urlsplit(cluster.endpoint)
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=10) as sock:
        sock.sendall(data)
        if close_write:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        try:
            while piece := sock.recv(65536):
                received += piece
        except (TimeoutError, ConnectionResetError):
            pass
        return received


def signed_head(cluster: AllInOne, method: str, path: str, headers: dict[str, str]) -> bytes:
    """A signed request head (UNSIGNED-PAYLOAD) to send with a hand-made (e.g. truncated) body."""
    all_headers = {"x-amz-content-sha256": "UNSIGNED-PAYLOAD", **headers}
    request = AWSRequest(method=method, url=cluster.endpoint + path, headers=all_headers)
    credentials = Credentials(cluster.credentials.access_key, cluster.credentials.secret_key)
    S3SigV4Auth(credentials, "s3", REGION).add_auth(request)
    lines = "".join(f"{k}: {v}\r\n" for k, v in request.headers.items())
    host = urlsplit(cluster.endpoint).netloc
    return f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{lines}\r\n".encode()


def gateway_problems(cluster: AllInOne) -> int:
    """How many unexpected errors (or 500 answers) the gateway has logged so far."""
    log = Path(cluster.data_dir) / "logs" / "gateway.log"
    text = log.read_text(errors="replace") if log.exists() else ""
    return text.count("unexpected error") + text.count("Error in ASGI") + text.count('"status": 500')
