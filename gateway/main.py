"""``objectio-gateway``: load the config, build the cluster backend and serve S3 with Hypercorn.

With ``workers > 1`` the parent reserves the port and forks worker processes, each listening on
its own SO_REUSEPORT socket with its own event loop and backend. SIGTERM/SIGINT stop accepting, let in-flight requests
finish (bounded by the Hypercorn grace period) and close the backend.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path

from objectio.common.config import ConfigError, add_config_flags, load_from_args
from objectio.common.logs import setup_logging
from objectio.common.process import die_with_parent_if_asked, set_role, tune_malloc, write_ready_file
from objectio.gateway.app import create_app
from objectio.gateway.config import SECTION, GatewayConfig
from objectio.gateway.metrics import enable_multiprocess
from objectio.gateway.server import listen_socket, new_event_loop, serve_app

PROCESS_NAME = "objectio-gateway"
log = logging.getLogger("objectio.gateway")


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_stop_signals_received: list[int] = []


def _remember_stop(signum: int, _frame: object) -> None:
    """Until the event loop takes over signals, a stop request is only remembered."""
    _stop_signals_received.append(signum)


async def run_worker(config: GatewayConfig, sock: socket.socket) -> None:
    from objectio.gateway.cluster_backend import close_backend, create_backend  # lazy: tests need not have it

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    if _stop_signals_received:
        stop.set()
    backend = await create_backend(config)
    try:
        await serve_app(create_app(backend, config), config, sock, stop.wait)
    finally:
        await close_backend(backend)


def _fork_workers(count: int) -> list[int]:
    children = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            die_with_parent_if_asked()  # the death signal is not inherited across fork
            return []
        children.append(pid)
    return children


def _supervise(children: list[int]) -> int:
    def forward(signum: int, _frame: object) -> None:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    for sig in STOP_SIGNALS:
        signal.signal(sig, forward)
    for signum in _stop_signals_received:
        forward(signum, None)
    status = 0
    for pid in children:
        _, code = os.waitpid(pid, 0)
        status = status or os.waitstatus_to_exitcode(code)
    return status


def _run_workers(config: GatewayConfig, reserved: socket.socket, ready_file: str | None) -> int:
    """Fork the workers (sharing one metrics directory) and supervise them; the children serve.

    ``reserved`` holds the port without listening. Each worker listens on a socket of its own
    bound to the same port with SO_REUSEPORT, so the kernel spreads connections over the workers
    (with one shared socket the first worker to wake accepts a whole burst: four benchmark
    connections all landed on one of two workers). The ready file is written once every worker
    listens, so it still means "accepting connections".
    """
    temporary = not config.metrics_multiprocess_dir
    directory = Path(config.metrics_multiprocess_dir or tempfile.mkdtemp(prefix="objectio-gateway-metrics-"))
    enable_multiprocess(directory)
    port = reserved.getsockname()[1]
    ready_read, ready_write = os.pipe()
    children = _fork_workers(config.workers)
    if not children:  # a worker
        os.close(ready_read)
        reserved.close()
        sock = listen_socket(config.listen_host, port, reuse_port=True)
        os.write(ready_write, b"+")
        os.close(ready_write)
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(run_worker(config, sock))
        return 0
    os.close(ready_write)
    try:
        listening = _count_listening(ready_read, config.workers)
        os.close(ready_read)
        if listening == config.workers:
            write_ready_file(ready_file, f"{os.getpid()} {config.listen_host}:{port}\n")
        else:
            log.error("a worker exited before listening", extra={"fields": {"listening": listening}})
            _stop_signals_received.append(signal.SIGTERM)
        return _supervise(children)
    finally:
        if temporary:
            shutil.rmtree(directory, ignore_errors=True)


def _count_listening(ready_read: int, workers: int) -> int:
    """Bytes the workers wrote once listening (fewer: a worker exited first, closing its end)."""
    count = 0
    while count < workers:
        chunk = os.read(ready_read, workers)
        if not chunk:
            break
        count += len(chunk)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROCESS_NAME, description="ObjectIO S3 gateway")
    add_config_flags(parser, GatewayConfig)
    parser.add_argument("--ready-file", default=None, help="write this file once the socket is listening")
    args = parser.parse_args(argv)
    try:
        config = load_from_args(GatewayConfig, SECTION, args)
    except ConfigError as exc:
        print(f"{PROCESS_NAME}: {exc}", file=sys.stderr)
        return 2
    setup_logging("gateway", config.log_level)
    die_with_parent_if_asked()
    set_role(PROCESS_NAME)
    tune_malloc()
    for sig in STOP_SIGNALS:
        signal.signal(sig, _remember_stop)
    if config.workers > 1:
        reserved = listen_socket(config.listen_host, config.listen_port, reuse_port=True, listen=False)
        log.info("listening", extra={"fields": {"host": config.listen_host, "port": reserved.getsockname()[1]}})
        return _run_workers(config, reserved, args.ready_file)
    sock = listen_socket(config.listen_host, config.listen_port)
    log.info("listening", extra={"fields": {"host": config.listen_host, "port": sock.getsockname()[1]}})
    write_ready_file(args.ready_file, f"{os.getpid()} {config.listen_host}:{sock.getsockname()[1]}\n")
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(run_worker(config, sock))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
