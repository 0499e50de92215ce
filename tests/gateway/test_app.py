"""The ASGI app in-process (no sockets): error boundary, request ids, metrics, health, lifespan."""

from __future__ import annotations

import hashlib
import logging
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from memory_backend import MemoryBackend
from s3_harness import ALICE, REGION, make_config

from objectio.gateway import backend as be
from objectio.gateway.app import create_app


class FlakyBackend(MemoryBackend):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__([ALICE])
        self.fail_with: BaseException | None = None

    async def get_object(self, bucket: str, key: str, byte_range: tuple[int, int] | None = None) -> Any:
        if self.fail_with is not None:
            raise self.fail_with
        return await super().get_object(bucket, key, byte_range)


async def call(
    app: Any, method: str, path: str, body: bytes = b"", signed: bool = True
) -> tuple[int, dict[str, str], bytes]:
    headers = {"x-amz-content-sha256": hashlib.sha256(body).hexdigest(), "Content-Length": str(len(body))}
    request = AWSRequest(method=method, url=f"http://gw.test{path}", data=body, headers=headers)
    if signed:
        S3SigV4Auth(Credentials(ALICE.access_key, ALICE.secret_key), "s3", REGION).add_auth(request)
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "method": method,
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", b"gw.test")] + [(k.lower().encode(), v.encode()) for k, v in request.headers.items()],
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], response_headers, b"".join(m.get("body", b"") for m in sent[1:])


@pytest.fixture
async def setup() -> tuple[Any, FlakyBackend]:
    backend = FlakyBackend()
    await backend.create_bucket("bkt", "alice")
    return create_app(backend, make_config()), backend


async def test_unexpected_exception_is_internal_error(setup: Any, caplog: pytest.LogCaptureFixture) -> None:
    app, backend = setup
    backend.fail_with = RuntimeError("boom: internal detail")
    with caplog.at_level(logging.ERROR):
        status, headers, body = await call(app, "GET", "/bkt/k?x=1")
    assert status == 500
    root = ET.fromstring(body)
    assert root.findtext("Code") == "InternalError"
    assert b"boom" not in body and b"Traceback" not in body
    assert root.findtext("RequestId") == headers["x-amz-request-id"]
    assert any("unexpected error" in r.getMessage() for r in caplog.records)
    backend.fail_with = be.ServiceUnavailable("2 of 6 OSDs answer")
    status, _, body = await call(app, "GET", "/bkt/k")
    assert status == 503 and b"ServiceUnavailable" in body and b"OSDs" not in body
    backend.fail_with = None
    status, _, _ = await call(app, "GET", "/bkt/k")
    assert status == 404


async def test_request_ids_are_unique(setup: Any) -> None:
    app, _ = setup
    ids = {(await call(app, "GET", "/"))[1]["x-amz-request-id"] for _ in range(5)}
    assert len(ids) == 5


async def test_health_metrics_and_credentials(setup: Any) -> None:
    app, backend = setup
    assert (await call(app, "GET", "/health/live", signed=False))[0] == 200
    backend.is_ready = False
    assert (await call(app, "GET", "/health/ready", signed=False))[0] == 503
    await call(app, "PUT", "/bkt/m", b"12345")
    status, _, metrics = await call(app, "GET", "/metrics", signed=False)
    assert status == 200
    assert b'objectio_s3_requests_total{op="PutObject",status="200"} 1.0' in metrics
    assert b"objectio_s3_bytes_received_total 5.0" in metrics
    # With credentials the same path is an S3 request (a bucket may be called "health").
    assert (await call(app, "GET", "/health/live"))[0] == 404


async def test_lifespan_is_answered(setup: Any) -> None:
    app, _ = setup
    events = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return events.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
