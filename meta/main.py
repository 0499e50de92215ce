"""objectio-meta: the metadata service daemon.

``objectio-meta [--config FILE] [--<option> VALUE ...] [--ready-file PATH]``. Options come from
:class:`~objectio.meta.config.MetaConfig` (flags > OBJECTIO_META_* > config file > defaults).
Logs are JSON lines on stderr. SIGTERM/SIGINT stop it gracefully: new calls are refused,
in-flight calls get ``shutdown_grace_ms``, queued writes are committed, then it exits 0.
With ``OBJECTIO_DIE_WITH_PARENT=1`` (set by the all-in-one launcher) the kernel kills it when its
parent dies.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path

import uvloop

from objectio.common.config import ConfigError, add_config_flags, load_from_args
from objectio.common.logs import log_fields, setup_logging
from objectio.meta.config import SECTION, MetaConfig
from objectio.meta.errors import MetaStoreError
from objectio.meta.server import start_server

ROLE = "objectio-meta"
PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15
log = logging.getLogger("objectio.meta.main")


def _prctl(option: int, value: int | bytes) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


def name_process() -> None:
    """Make ps/top show the role: the thread name (comm) and argv[0] for Python's own use."""
    sys.argv[0] = ROLE
    with contextlib.suppress(OSError):  # cosmetic only
        _prctl(PR_SET_NAME, ROLE.encode()[:15])


def die_with_parent() -> None:
    """Ask the kernel for SIGKILL when the parent exits (and exit now if it already has)."""
    parent = os.getppid()
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def write_ready_file(path: Path, port: int) -> None:
    """Atomically publish that the server is serving, and on which port."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), "port": port}) + "\n")
    tmp.replace(path)


async def serve(config: MetaConfig, ready_file: Path | None) -> None:
    server = await start_server(config, now_ms=int(time.time() * 1000))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if ready_file is not None:
        write_ready_file(ready_file, server.port)
    await stop.wait()
    log.info("shutting down", extra=log_fields(grace_ms=config.shutdown_grace_ms))
    await server.stop(config.shutdown_grace_ms / 1000)
    log.info("stopped", extra=log_fields(writes=server.store.writer_stats.writes_committed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=ROLE, description="ObjectIO metadata service")
    add_config_flags(parser, MetaConfig)
    parser.add_argument("--ready-file", type=Path, default=None, help="written (JSON: pid, port) once serving")
    args = parser.parse_args(argv)
    if os.environ.get("OBJECTIO_DIE_WITH_PARENT") == "1":
        die_with_parent()
    name_process()
    try:
        config = load_from_args(MetaConfig, SECTION, args)
    except ConfigError as exc:
        print(f"{ROLE}: {exc}", file=sys.stderr)
        return 2
    setup_logging("meta", config.log_level)
    loop_factory = uvloop.new_event_loop if config.uvloop else None
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(serve(config, args.ready_file))
    except (ConfigError, MetaStoreError, OSError) as exc:
        log.error("cannot start: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
