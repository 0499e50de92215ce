"""gRPC plumbing shared by the daemons: channel/server options, the cluster-token check and the
request id carried in call metadata."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from grpc import aio

from objectio.common.logs import REQUEST_ID_METADATA_KEY, request_id

TOKEN_METADATA_KEY = "x-objectio-token"
MESSAGE_BYTES_MAX = 64 << 20  # one stripe fragment (<= 8 MiB) or one batch of small ones, with room


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


def call_metadata(token: str) -> tuple[tuple[str, str], ...]:
    """Metadata for an outgoing call: the cluster token and the current request id."""
    return ((TOKEN_METADATA_KEY, token), (REQUEST_ID_METADATA_KEY, request_id.get()))


class ClusterAuthInterceptor(aio.ServerInterceptor):  # type: ignore[type-arg]
    """Refuses calls without the cluster token (unless the token is empty: dev/tests) and restores
    the caller's request id into the logging context. Health checks are always allowed."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()

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
                return _deny_like(handler)
        return handler


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
