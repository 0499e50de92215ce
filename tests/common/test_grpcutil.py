"""gRPC plumbing in-process: TLS servers and channels, per-RPC timing with the request id."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]

from objectio.cli.certs import ensure_cluster_tls
from objectio.common.config import ConfigError
from objectio.common.grpcutil import (
    ClusterAuthInterceptor,
    RpcTimingInterceptor,
    add_server_port,
    aio_channel,
    call_metadata,
    close_channel,
)
from objectio.common.logs import request_id
from objectio.osd.service import OsdServicer
from objectio.osd.store import MemoryStore
from objectio.protos import osd_pb2, osd_pb2_grpc

SERVING = health_pb2.HealthCheckResponse.SERVING


async def _serve(observed: list[tuple[str, float]], cert: str = "", key: str = "") -> tuple[aio.Server, int]:
    interceptors = [ClusterAuthInterceptor(""), RpcTimingInterceptor(lambda m, s: observed.append((m, s)))]
    server = aio.server(interceptors=interceptors)
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    port = add_server_port(server, "127.0.0.1:0", cert_file=cert, key_file=key)
    await server.start()
    await health.set("", SERVING)
    return server, port


@pytest.fixture()
async def plain() -> AsyncIterator[tuple[int, list[tuple[str, float]]]]:
    observed: list[tuple[str, float]] = []
    server, port = await _serve(observed)
    yield port, observed
    await server.stop(None)


async def test_timing_covers_unary_and_streaming_calls(
    plain: tuple[int, list[tuple[str, float]]], caplog: pytest.LogCaptureFixture
) -> None:
    port, observed = plain
    token = request_id.set("rid-under-test")
    try:
        async with aio_channel(f"127.0.0.1:{port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            with caplog.at_level(logging.DEBUG, logger="objectio.rpc"):
                reply = await stub.Check(health_pb2.HealthCheckRequest(), metadata=call_metadata(""))
                watch = stub.Watch(health_pb2.HealthCheckRequest(), metadata=call_metadata(""))
                assert (await watch.read()).status == SERVING
                watch.cancel()
                missing = stub.Check(health_pb2.HealthCheckRequest(service="nope"), metadata=call_metadata(""))
                with pytest.raises(aio.AioRpcError):
                    await missing
    finally:
        request_id.reset(token)
    assert reply.status == SERVING
    assert [m for m, _ in observed][:1] == ["Check"]
    assert {m for m, _ in observed} >= {"Check"}
    assert all(seconds >= 0 for _, seconds in observed)
    rpc_lines = [r for r in caplog.records if r.name == "objectio.rpc"]
    assert rpc_lines, "debug level logs one line per RPC"
    assert rpc_lines[0].fields["rpc"] == "Check"  # type: ignore[attr-defined]


async def test_tls_server_refuses_plaintext_and_trusts_its_ca(tmp_path: Path) -> None:
    files = ensure_cluster_tls(tmp_path / "tls", ["127.0.0.1", "localhost"])
    observed: list[tuple[str, float]] = []
    server, port = await _serve(observed, str(files.cert_file), str(files.key_file))
    try:
        async with aio_channel(f"127.0.0.1:{port}", str(files.ca_file)) as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert reply.status == SERVING
        async with aio_channel(f"127.0.0.1:{port}") as channel:
            with pytest.raises(aio.AioRpcError) as failure:
                await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
            assert failure.value.code() == grpc.StatusCode.UNAVAILABLE
        other = ensure_cluster_tls(tmp_path / "other", ["127.0.0.1"])  # a CA that did not sign it
        async with aio_channel(f"127.0.0.1:{port}", str(other.ca_file)) as channel:
            with pytest.raises(aio.AioRpcError):
                await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
    finally:
        await server.stop(None)


def test_unreadable_tls_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CA file"):
        aio_channel("127.0.0.1:1", str(tmp_path / "missing.pem"))


async def test_wrapped_handlers_are_reused_yet_every_call_is_timed_and_checked() -> None:
    """The interceptors wrap each method's handler once; every call is still observed, and a wrong
    token is refused on every call, not only the first."""
    observed: list[tuple[str, float]] = []
    server = aio.server(
        interceptors=[ClusterAuthInterceptor("right"), RpcTimingInterceptor(lambda m, s: observed.append((m, s)))]
    )
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    osd_pb2_grpc.add_OsdServiceServicer_to_server(OsdServicer(MemoryStore(), 1, 1, 1), server)
    port = add_server_port(server, "127.0.0.1:0")
    await server.start()
    try:
        async with aio_channel(f"127.0.0.1:{port}") as channel:
            stub = osd_pb2_grpc.OsdServiceStub(channel)
            for _ in range(3):
                with pytest.raises(aio.AioRpcError) as refused:
                    await stub.GetStats(osd_pb2.GetStatsRequest(), metadata=call_metadata("wrong"))
                assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            for _ in range(3):
                stats = await stub.GetStats(osd_pb2.GetStatsRequest(), metadata=call_metadata("right"))
                assert stats.osd_id == 1
            listed = await stub.ListShards(osd_pb2.ListShardsRequest(), metadata=call_metadata("right"))
            assert list(listed.shards) == []
    finally:
        await server.stop(None)
    # refused calls never reach the timed handler (the token check comes first)
    assert [m for m, _ in observed] == ["GetStats"] * 3 + ["ListShards"]


def _client_call_tasks() -> list[str]:
    """grpc.aio's own tasks of client calls still pending on the loop."""
    pending = [t.get_coro() for t in asyncio.all_tasks() if not t.done()]
    return [name for coro in pending if (name := getattr(coro, "__qualname__", "")).startswith("_AioCall.")]


async def test_close_channel_ends_open_streams_before_destroying_the_channel(
    plain: tuple[int, list[tuple[str, float]]],
) -> None:
    """Server streams still open (as etcd watches are at shutdown) are cancelled and have ended,
    with no grpc task of theirs left on the loop, when close_channel returns. (A plain
    ``channel.close()`` leaves each call's status task pending against the destroyed channel.)"""
    port, _ = plain
    channel = aio_channel(f"127.0.0.1:{port}")
    stub = health_pb2_grpc.HealthStub(channel)
    watches = [stub.Watch(health_pb2.HealthCheckRequest()) for _ in range(3)]
    for watch in watches:
        assert (await watch.read()).status == SERVING
    assert len(_client_call_tasks()) >= len(watches)
    await close_channel(channel)
    for watch in watches:
        assert watch.done() and watch.cancelled()
        assert await watch.code() == grpc.StatusCode.CANCELLED
    assert _client_call_tasks() == []
