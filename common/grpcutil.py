"""gRPC plumbing shared by the daemons: channel/server options, TLS, the cluster-token check, the
request id carried in call metadata and per-RPC timing.

TLS is built here and nowhere else: a server given a certificate and key listens with TLS
(:func:`add_server_port`); a client given a CA file opens a TLS channel that verifies the server
against it (:func:`aio_channel`, :func:`sync_channel`). Without them both sides speak plaintext.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
from grpc import aio

from objectio.common.config import ConfigError
from objectio.common.logs import REQUEST_ID_METADATA_KEY, request_id

TOKEN_METADATA_KEY = "x-objectio-token"
MESSAGE_BYTES_MAX = 64 << 20  # one stripe fragment (<= 8 MiB) or one batch of small ones, with room
CHANNEL_CLOSE_SETTLE_S = 2.0  # how long a closing channel waits for its cancelled calls to end


def channel_options() -> list[tuple[str, Any]]:
    return [
        ("grpc.max_send_message_length", MESSAGE_BYTES_MAX),
        ("grpc.max_receive_message_length", MESSAGE_BYTES_MAX),
        ("grpc.keepalive_time_ms", 20_000),
        ("grpc.keepalive_timeout_ms", 10_000),
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.enable_retries", 0),
        # A restarted daemon must be reachable again within a second or two, not after gRPC's
        # default exponential backoff (up to two minutes).
        ("grpc.initial_reconnect_backoff_ms", 100),
        ("grpc.min_reconnect_backoff_ms", 100),
        ("grpc.max_reconnect_backoff_ms", 2000),
    ]


def server_options() -> list[tuple[str, Any]]:
    return [
        ("grpc.max_send_message_length", MESSAGE_BYTES_MAX),
        ("grpc.max_receive_message_length", MESSAGE_BYTES_MAX),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
        ("grpc.so_reuseport", 0),
    ]


def _read_pem(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror}") from None


def add_server_port(server: aio.Server, address: str, *, cert_file: str = "", key_file: str = "") -> int:
    """Listen on ``address`` with TLS when ``cert_file`` and ``key_file`` are given, else plaintext.
    Returns the bound port (0 when binding failed)."""
    if not cert_file:
        return server.add_insecure_port(address)
    credentials = grpc.ssl_server_credentials(
        [(_read_pem(key_file, "TLS key"), _read_pem(cert_file, "TLS certificate"))]
    )
    return server.add_secure_port(address, credentials)


def _channel_credentials(ca_file: str) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(root_certificates=_read_pem(ca_file, "TLS CA file"))


async def close_channel(channel: aio.Channel, settle_s: float = CHANNEL_CLOSE_SETTLE_S) -> None:
    """Close an asyncio channel after the calls still open on it have ended.

    grpc.aio's ``close`` cancels the channel's calls and destroys the channel at once. A
    cancelled call reports CANCELLED at once, but grpc's own task that waits for the call's
    status from the core (``_AioCall._handle_status_once_received``) ends only when the core
    has processed the cancellation, a few loop turns later. Closing first left those tasks to
    run against a destroyed channel, or to be cancelled when the event loop closed — at
    shutdown that was a hang or a segfault (etcd watch and lease streams in the test suite).
    So: cancel the open calls, wait (at most ``settle_s``) until as many of grpc's call tasks
    have ended, then close. The calls and tasks are found through grpc's own registry and task
    names (grpcio is pinned exactly in pyproject.toml); on any other grpcio this degrades to a
    plain close."""
    calls = [call for call in getattr(channel, "_active_calls", ()) if not call.done()]
    if calls:
        call_tasks = _grpc_call_tasks()
        for call in calls:
            call.cancel()
        await _until_ended(call_tasks, min(len(calls), len(call_tasks)), settle_s)
    await channel.close(None)


def _grpc_call_tasks() -> set[asyncio.Task[Any]]:
    """The pending tasks grpc.aio runs for client calls on this loop (any channel's)."""
    return {
        task
        for task in asyncio.all_tasks()
        if not task.done() and getattr(task.get_coro(), "__qualname__", "").startswith("_AioCall.")
    }


async def _until_ended(tasks: set[asyncio.Task[Any]], count: int, timeout_s: float) -> None:
    """Wait until ``count`` of ``tasks`` are done, or ``timeout_s`` passed."""
    deadline = time.monotonic() + timeout_s
    pending = set(tasks)
    while len(tasks) - len(pending) < count:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        _, pending = await asyncio.wait(pending, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)


def aio_channel(address: str, ca_file: str = "") -> aio.Channel:
    """An asyncio channel to ``address``: TLS verified against ``ca_file`` when given."""
    if ca_file:
        return aio.secure_channel(address, _channel_credentials(ca_file), options=channel_options())
    return aio.insecure_channel(address, options=channel_options())


def sync_channel(address: str, ca_file: str = "") -> grpc.Channel:
    """A blocking channel (objectio-cli): TLS verified against ``ca_file`` when given."""
    if ca_file:
        return grpc.secure_channel(address, _channel_credentials(ca_file), options=channel_options())
    return grpc.insecure_channel(address, options=channel_options())


def call_metadata(token: str) -> tuple[tuple[str, str], ...]:
    """Metadata for an outgoing call: the cluster token and the current request id."""
    return ((TOKEN_METADATA_KEY, token), (REQUEST_ID_METADATA_KEY, request_id.get()))


class ClusterAuthInterceptor(aio.ServerInterceptor):  # type: ignore[type-arg]
    """Refuses calls without the cluster token (unless the token is empty: dev/tests) and restores
    the caller's request id into the logging context. Health checks are always allowed."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()
        self._denials = _PerMethod()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        metadata = dict(handler_call_details.invocation_metadata or ())
        rid = metadata.get(REQUEST_ID_METADATA_KEY)
        if isinstance(rid, str):
            request_id.set(rid)
        handler = await continuation(handler_call_details)
        method = handler_call_details.method or ""
        if self._token and handler is not None and not method.startswith("/grpc.health."):
            given = metadata.get(TOKEN_METADATA_KEY, "")
            given_bytes = given.encode() if isinstance(given, str) else given
            if not hmac.compare_digest(given_bytes, self._token):
                return self._denials.get(method, handler, _deny_like)
        return handler


class _PerMethod:
    """Wrapped handlers made once per method: the registered handler of a method is the same
    object on every call, so wrapping it per call only costs CPU on every RPC."""

    def __init__(self) -> None:
        self._made: dict[str, tuple[Any, Any]] = {}

    def get(self, method: str, handler: Any, make: Callable[[Any], Any]) -> Any:
        made = self._made.get(method)
        if made is None or made[0] is not handler:
            made = self._made[method] = (handler, make(handler))
        return made[1]


def _deny_like(handler: Any) -> Any:
    """A handler of the same streaming kind as ``handler`` that fails UNAUTHENTICATED."""

    async def deny(request: Any, context: aio.ServicerContext[Any, Any]) -> None:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong cluster token")

    async def deny_stream(request: Any, context: aio.ServicerContext[Any, Any]) -> Any:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong cluster token")
        yield  # pragma: no cover - makes this an async generator

    kwargs = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.request_streaming and handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(deny_stream, **kwargs)
    if handler.request_streaming:
        return grpc.stream_unary_rpc_method_handler(deny, **kwargs)
    if handler.response_streaming:
        return grpc.unary_stream_rpc_method_handler(deny_stream, **kwargs)
    return grpc.unary_unary_rpc_method_handler(deny, **kwargs)


RpcObserver = Callable[[str, float], None]
rpc_log = logging.getLogger("objectio.rpc")


class RpcTimingInterceptor(aio.ServerInterceptor):  # type: ignore[type-arg]
    """Calls ``observe(method, seconds)`` when each RPC ends (streams: when the stream ends) and, at
    debug level, logs one line per RPC with the caller's request id. Put it after
    :class:`ClusterAuthInterceptor` so the request id is already restored."""

    def __init__(self, observe: RpcObserver) -> None:
        self._observe = observe
        self._timed = _PerMethod()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method or ""
        name = method.rsplit("/", 1)[-1]
        return self._timed.get(method, handler, lambda h: _timed_like(h, name, self._finished))

    def _finished(self, method: str, started: float, failed: bool) -> None:
        seconds = time.perf_counter() - started
        self._observe(method, seconds)
        if rpc_log.isEnabledFor(logging.DEBUG):
            rpc_log.debug("rpc", extra={"fields": {"rpc": method, "ms": round(seconds * 1000, 3), "failed": failed}})


def _timed_like(handler: Any, method: str, finished: Callable[[str, float, bool], None]) -> Any:
    """``handler`` with its behaviour wrapped in a timer, keeping its streaming kind."""
    kwargs = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.response_streaming:
        behaviour = handler.stream_stream if handler.request_streaming else handler.unary_stream

        async def timed_stream(request: Any, context: aio.ServicerContext[Any, Any]) -> Any:
            started, failed = time.perf_counter(), True
            try:
                replies = behaviour(request, context)
                if hasattr(replies, "__aiter__"):  # an async generator
                    async for reply in replies:
                        yield reply
                else:  # a coroutine that answers with context.write()
                    await replies
                failed = False
            finally:
                finished(method, started, failed)

        if handler.request_streaming:
            return grpc.stream_stream_rpc_method_handler(timed_stream, **kwargs)
        return grpc.unary_stream_rpc_method_handler(timed_stream, **kwargs)
    behaviour = handler.stream_unary if handler.request_streaming else handler.unary_unary

    async def timed(request: Any, context: aio.ServicerContext[Any, Any]) -> Any:
        started, failed = time.perf_counter(), True
        try:
            reply = await behaviour(request, context)
            failed = False
            return reply
        finally:
            finished(method, started, failed)

    if handler.request_streaming:
        return grpc.stream_unary_rpc_method_handler(timed, **kwargs)
    return grpc.unary_unary_rpc_method_handler(timed, **kwargs)
