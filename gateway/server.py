"""Serving an ASGI app with Hypercorn: server config from GatewayConfig, listening sockets made
before serving (so a ready file means "accepting connections"), graceful stop on a trigger."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable
from typing import cast

from hypercorn.asyncio import serve
from hypercorn.config import Config as HypercornConfig
from hypercorn.typing import ASGIFramework
from starlette.applications import Starlette

from objectio.gateway.config import GatewayConfig

# A request head between request_header_bytes_max and this multiple of it still reaches the app
# (which answers RequestHeaderSectionTooLarge in S3 XML); beyond it h11 refuses it with a bare 400.
HEADER_HARD_LIMIT_FACTOR = 4
KEEP_ALIVE_REQUESTS_MAX = 1_000_000
SHUTDOWN_GRACE_SECONDS = 10.0


def listen_socket(
    host: str, port: int, backlog: int = 1024, *, reuse_port: bool = False, listen: bool = True
) -> socket.socket:
    """A TCP socket bound to host:port, listening unless ``listen`` is False. With ``reuse_port``
    several sockets (one per worker process) listen on the same port and the kernel spreads new
    connections over them; a bound socket that does not listen only reserves the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    if listen:
        sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def hypercorn_config(config: GatewayConfig, sock: socket.socket) -> HypercornConfig:
    hc = HypercornConfig()
    hc.bind = [f"fd://{os.dup(sock.fileno())}"]  # Hypercorn closes its copy on shutdown
    hc.keep_alive_timeout = config.request_timeout_seconds
    hc.read_timeout = int(config.request_timeout_seconds)
    hc.keep_alive_max_requests = KEEP_ALIVE_REQUESTS_MAX
    hc.h11_max_incomplete_size = config.request_header_bytes_max * HEADER_HARD_LIMIT_FACTOR
    hc.h2_max_header_list_size = config.request_header_bytes_max * HEADER_HARD_LIMIT_FACTOR
    hc.include_server_header = False
    hc.accesslog = None  # the app writes its own JSON access log
    hc.errorlog = "-"
    hc.graceful_timeout = SHUTDOWN_GRACE_SECONDS
    if config.tls_cert_file:
        hc.certfile = config.tls_cert_file
        hc.keyfile = config.tls_key_file
    return hc


async def serve_app(
    app: Starlette, config: GatewayConfig, sock: socket.socket, shutdown: Callable[[], Awaitable[object]]
) -> None:
    trigger = cast(Callable[[], Awaitable[None]], shutdown)
    await serve(cast(ASGIFramework, app), hypercorn_config(config, sock), shutdown_trigger=trigger)


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
