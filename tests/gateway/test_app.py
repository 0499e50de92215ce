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

        self.fail_reading_with: BaseException | None = None

    async def get_object(
        self, bucket: str, key: str, byte_range: tuple[int, int] | None = None, version_id: str | None = None
    ) -> Any:
        if self.fail_with is not None:
            raise self.fail_with
        info, stream = await super().get_object(bucket, key, byte_range, version_id)
        return info, self._failing(stream) if self.fail_reading_with is not None else stream

    async def _failing(self, stream: Any) -> Any:
        if self.fail_reading_with is not None:
            raise self.fail_reading_with
        yield b""


async def call(
    app: Any, method: str, path: str, body: bytes = b"", signed: bool = True, host: str = "gw.test"
) -> tuple[int, dict[str, str], bytes]:
    headers = {"x-amz-content-sha256": hashlib.sha256(body).hexdigest(), "Content-Length": str(len(body))}
    request = AWSRequest(method=method, url=f"http://{host}{path}", data=body, headers=headers)
    if signed:
        S3SigV4Auth(Credentials(ALICE.access_key, ALICE.secret_key), "s3", REGION).add_auth(request)
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "method": method,
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", host.encode())] + [(k.lower().encode(), v.encode()) for k, v in request.headers.items()],
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
    assert b"objectio_s3_received_bytes_total 5.0" in metrics
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


async def test_virtual_host_style() -> None:
    backend = MemoryBackend([ALICE])
    await backend.create_bucket("my.bucket", "alice")
    app = create_app(backend, make_config(domain="s3.test"))
    status, _, _ = await call(app, "PUT", "/dir/key", b"vhost", host="my.bucket.s3.test")
    assert status == 200
    assert backend.objects["my.bucket"]["dir/key"][1] == b"vhost"
    status, _, body = await call(app, "GET", "/dir/key", host="my.bucket.s3.test")
    assert (status, body) == (200, b"vhost")
    status, _, body = await call(app, "GET", "/my.bucket/dir/key", host="s3.test")  # path style still works
    assert (status, body) == (200, b"vhost")
    status, _, body = await call(app, "GET", "/?list-type=2", host="my.bucket.s3.test")
    assert status == 200 and b"<Key>dir/key</Key>" in body


async def test_error_before_the_first_body_byte_is_an_s3_error(setup: Any) -> None:
    app, backend = setup
    await call(app, "PUT", "/bkt/k", b"data")
    backend.fail_reading_with = be.ServiceUnavailable("stripe unreadable")
    status, _, body = await call(app, "GET", "/bkt/k")
    assert status == 503 and b"<Code>ServiceUnavailable</Code>" in body


async def test_requests_beyond_the_in_flight_limit_slow_down() -> None:
    import asyncio

    gate = asyncio.Event()

    class SlowBackend(MemoryBackend):  # type: ignore[misc]
        async def head_bucket(self, name: str, *, fresh: bool = False) -> be.BucketInfo:
            await gate.wait()
            info: be.BucketInfo = await super().head_bucket(name, fresh=fresh)
            return info

    backend = SlowBackend([ALICE])
    await backend.create_bucket("bkt", "alice")
    app = create_app(backend, make_config(requests_in_flight_max=2))
    held = [asyncio.create_task(call(app, "GET", "/bkt/x")) for _ in range(2)]
    await asyncio.sleep(0.05)
    status, _, body = await call(app, "GET", "/bkt/x")
    assert status == 503 and b"<Code>SlowDown</Code>" in body
    gate.set()
    assert [(await task)[0] for task in held] == [404, 404]
    assert (await call(app, "GET", "/bkt/x"))[0] == 404


async def test_access_log_names_the_key_never_the_secret(setup: Any, caplog: pytest.LogCaptureFixture) -> None:
    app, _ = setup
    with caplog.at_level(logging.INFO, logger="objectio.gateway.access"):
        await call(app, "GET", "/bkt?list-type=2")
    records = [r for r in caplog.records if r.name == "objectio.gateway.access"]
    fields = records[-1].fields  # type: ignore[attr-defined]
    assert (fields["op"], fields["status"], fields["access_key"]) == ("ListObjectsV2", 200, ALICE.access_key)
    assert ALICE.secret_key not in caplog.text


async def test_empty_object_body_is_ended_exactly_once(setup: Any) -> None:
    """A backend stream of one empty piece (an empty inline object) must not be followed by a second
    end of body: Hypercorn refuses it and the request is lost from the access log and metrics."""
    app, backend = setup
    await backend.put_object(be.PutRequest("bkt", "empty", _pieces(), 0))
    stored = await backend.head_object("bkt", "empty")

    async def get_object(
        bucket: str, key: str, byte_range: tuple[int, int] | None = None, version_id: str | None = None
    ) -> Any:
        return stored, _pieces(b"")  # as the cluster backend serves an empty inline object

    backend.get_object = get_object
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        assert not any(m["type"] == "http.response.body" and not m.get("more_body") for m in sent), message
        sent.append(message)

    request = AWSRequest(method="GET", url="http://gw.test/bkt/empty", headers={"x-amz-content-sha256": EMPTY_SHA256})
    S3SigV4Auth(Credentials(ALICE.access_key, ALICE.secret_key), "s3", REGION).add_auth(request)
    headers = [(b"host", b"gw.test")] + [(k.lower().encode(), v.encode()) for k, v in request.headers.items()]
    scope = {"type": "http", "method": "GET", "path": "/bkt/empty", "raw_path": b"/bkt/empty", "query_string": b""}
    await app({**scope, "headers": headers}, receive, send)
    assert sent[0]["status"] == 200
    assert [m.get("body") for m in sent[1:]] == [b""]


EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


async def _pieces(*pieces: bytes) -> Any:
    for piece in pieces:
        yield piece
