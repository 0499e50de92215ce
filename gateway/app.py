"""The ASGI application: request id, parse -> authenticate -> dispatch, errors, logs, metrics.

HTTP requests bypass Starlette's router and middleware (a raw ASGI path keeps per-request
overhead low); Starlette still answers lifespan events. Unauthenticated ``/health/live``,
``/health/ready`` and ``/metrics`` are served here; with credentials the same paths are S3
requests (``health`` and ``metrics`` are valid bucket names).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette

from objectio.common import logs
from objectio.gateway import errors
from objectio.gateway.access.guard import check_signed
from objectio.gateway.auth import sigv4
from objectio.gateway.auth.verify import authenticate
from objectio.gateway.backend import Backend, BackendError
from objectio.gateway.body import Receive, RequestBody, announces_body, discard_rest
from objectio.gateway.config import GatewayConfig
from objectio.gateway.context import Context
from objectio.gateway.dispatch import HANDLERS
from objectio.gateway.handlers.cors import actual_request_headers
from objectio.gateway.http import Response
from objectio.gateway.metrics import Metrics
from objectio.gateway.request import S3Request, headers_from_scope, parse_request

log = logging.getLogger("objectio.gateway")
access_log = logging.getLogger("objectio.gateway.access")

Scope = dict[str, Any]
Send = Any
SERVER = "ObjectIO"
OPEN_PATHS = ("/health/live", "/health/ready", "/metrics")


def _latin1(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def error_response(error: errors.S3Error, resource: str, request_id: str, method: str) -> Response:
    response = Response(error.status, list(error.headers.items()))
    if error.has_body and method != "HEAD":
        response.body = error.to_xml(resource, request_id)
        response.headers.append(("content-type", "application/xml"))
    return response


@dataclass(slots=True)
class Outcome:
    response: Response
    req: S3Request | None = None
    body: RequestBody | None = None
    access_key: str = ""  # the authenticated key id ('' before authentication)


class S3App:
    def __init__(self, backend: Backend, config: GatewayConfig) -> None:
        self.backend = backend
        self.config = config
        self.metrics = Metrics()
        self.signing_keys = sigv4.SigningKeyCache(config.signing_key_cache_entries_max)
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id = logs.new_request_id()
        token = logs.request_id.set(request_id)
        try:
            headers = headers_from_scope(scope)
            path: str = scope["path"]
            if path in OPEN_PATHS and "authorization" not in headers and b"X-Amz-" not in scope["query_string"]:
                await self._send(send, await self._open_endpoint(path), request_id, scope["method"])
                return
            if self.in_flight >= self.config.requests_in_flight_max:
                outcome = Outcome(error_response(errors.SlowDown(), path, request_id, scope["method"]))
                if announces_body(headers):  # not read: the connection cannot carry another request
                    outcome.response.headers.append(("connection", "close"))
                sent = await self._send(send, outcome.response, request_id, scope["method"])
            else:
                self.in_flight += 1  # until the response body is out: streams hold backend buffers
                try:
                    outcome = await self._handle(scope, receive, headers, request_id)
                    if outcome.req is not None and "origin" in headers:
                        outcome.response.headers += await actual_request_headers(self.backend, outcome.req)
                    if not await self._body_settled(outcome, receive, headers):
                        outcome.response.headers.append(("connection", "close"))
                    sent = await self._send(send, outcome.response, request_id, scope["method"])
                finally:
                    self.in_flight -= 1
            received = outcome.body.bytes_received if outcome.body else 0
            op = outcome.req.op.value if outcome.req else "Invalid"
            self.metrics.observe(op, outcome.response.status, time.perf_counter() - started, received, sent)
            if self.config.access_log:
                self._log_access(scope, outcome, received, sent, started)
        finally:
            logs.request_id.reset(token)

    async def _handle(self, scope: Scope, receive: Receive, headers: dict[str, str], request_id: str) -> Outcome:
        req: S3Request | None = None
        body: RequestBody | None = None
        access_key = ""
        try:
            self._check_header_size(scope)
            req = parse_request(scope, headers, self.config.domain)
            identity = await authenticate(
                req,
                self.backend,
                self.signing_keys,
                region=self.config.region,
                skew_max_seconds=self.config.clock_skew_seconds_max,
                presign_expires_max_seconds=self.config.presign_expires_seconds_max,
            )
            access_key = identity.key.access_key
            body = RequestBody(receive, headers, identity, self.config.body_chunk_bytes)
            client = scope.get("client") or ("", 0)
            ctx = Context(req, identity, body, self.backend, self.config, client[0], scope.get("scheme") == "https")
            check_signed(ctx)
            response = await HANDLERS[req.op](ctx)
            if response.stream is not None:
                # Read the first piece while an error can still become a proper S3 error response.
                response.first_piece = await anext(response.stream, None)
            return Outcome(response, req, body, access_key)
        except errors.S3Error as exc:
            error = exc
        except BackendError as exc:
            error = errors.from_backend(exc)
            if error.status >= 500:
                log.warning("backend error", extra=logs.log_fields(error=repr(exc)))
        except Exception:
            log.exception("unexpected error")
            error = errors.InternalError()
        resource = req.resource if req else scope.get("path", "/")
        return Outcome(error_response(error, resource, request_id, scope["method"]), req, body, access_key)

    async def _body_settled(self, outcome: Outcome, receive: Receive, headers: dict[str, str]) -> bool:
        """False when request body bytes are left unread and too many to drop: the connection
        cannot carry another request (Hypercorn closes it; ``Connection: close`` says so)."""
        body = outcome.body
        if (body is not None and body.ended) or not announces_body(headers):
            return True
        received = body.bytes_received if body is not None else 0
        try:
            return await discard_rest(receive, headers, received, self.config.unread_body_drain_bytes_max)
        except Exception:  # e.g. a second read of an interrupted stream: never fail the answer
            return False

    def _check_header_size(self, scope: Scope) -> None:
        size = len(scope.get("raw_path", b"")) + len(scope["query_string"])
        size += sum(len(name) + len(value) + 4 for name, value in scope["headers"])
        if size > self.config.request_header_bytes_max:
            raise errors.RequestHeaderSectionTooLarge(
                fields={"MaxSizeAllowed": str(self.config.request_header_bytes_max)}
            )

    async def _open_endpoint(self, path: str) -> Response:
        if path == "/metrics":
            return Response(200, [("content-type", self.metrics.content_type)], self.metrics.render())
        if path == "/health/live":
            return Response(200, [("content-type", "text/plain")], b"ok\n")
        try:
            ready = await self.backend.ready()
        except Exception:
            log.exception("readiness check failed")
            ready = False
        return Response(
            200 if ready else 503, [("content-type", "text/plain")], b"ready\n" if ready else b"not ready\n"
        )

    async def _send(self, send: Send, response: Response, request_id: str, method: str) -> int:
        headers = [(_latin1(k), _latin1(v)) for k, v in response.headers]
        headers.append((b"x-amz-request-id", request_id.encode()))
        headers.append((b"server", SERVER.encode()))
        length = response.content_length if response.content_length is not None else len(response.body)
        if response.status not in (204, 304):
            headers.append((b"content-length", str(length).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        if response.stream is None:
            await send({"type": "http.response.body", "body": response.body if method != "HEAD" else b""})
            return len(response.body) if method != "HEAD" else 0
        return await self._send_stream(send, response.stream, response.first_piece)

    async def _send_stream(self, send: Send, stream: AsyncIterator[bytes], first: bytes | None) -> int:
        """Send with one piece of look-ahead, so the last piece carries the end of the body
        (one write fewer per small object)."""
        sent = 0
        try:
            current = first
            while current is not None:
                following = await anext(stream, None)
                sent += len(current)
                await send({"type": "http.response.body", "body": current, "more_body": following is not None})
                current = following
        except Exception:
            # Headers are out: the only honest signal left is to cut the connection.
            log.exception("response body stream failed", extra=logs.log_fields(sent_bytes=sent))
            raise
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None:
                await close()  # release backend resources even if the client went away
        if first is None:  # an empty stream: the body still has to be ended, exactly once
            await send({"type": "http.response.body", "body": b""})
        return sent

    def _log_access(self, scope: Scope, outcome: Outcome, received: int, sent: int, started: float) -> None:
        client = scope.get("client") or ("-", 0)
        req = outcome.req
        access_log.info(
            "request",
            extra=logs.log_fields(
                op=req.op.value if req else "Invalid",
                method=scope["method"],
                bucket=req.bucket if req else "",
                key=req.key if req else "",
                status=outcome.response.status,
                bytes_in=received,
                bytes_out=sent,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                access_key=outcome.access_key,  # the key id names the caller; the secret is never logged
                remote=client[0],
            ),
        )


class GatewayApp(Starlette):
    """Starlette for lifespan; HTTP goes straight to :class:`S3App`."""

    def __init__(self, s3: S3App) -> None:
        super().__init__()
        self.s3 = s3

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        if scope["type"] == "http":
            await self.s3(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(backend: Backend, config: GatewayConfig) -> Starlette:
    return GatewayApp(S3App(backend, config))
