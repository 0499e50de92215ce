"""CLI fixtures: the real daemons started by the all-in-one launcher, and a runner for
``objectio-cli`` as a subprocess (exactly what an operator types, plus ``--json``).

``meta_only``: just the metadata service of an all-in-one data directory (fast; enough for every
command that only talks to meta). ``cluster``: the whole all-in-one cluster (6 OSDs of 256 MiB
sparse files, gateway) for object placement, S3 authentication and bench; its tests are skipped,
with the launcher's error as the reason, when the cluster cannot start on this tree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from objectio.cli.aio import AllInOne, free_port

DISK_SIZE_BYTES = 256 << 20
OSDS = 6


@dataclass
class CliRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def data(self) -> Any:
        return json.loads(self.stdout)


def run_cli(data_dir: Path | None, *args: str, check: bool | None = True, env: dict[str, str] | None = None) -> CliRun:
    """``objectio-cli [--data-dir D] ARGS``; check=True: must exit 0, False: must fail, None: any."""
    argv = [sys.executable, "-m", "objectio.cli.main", *(["--data-dir", str(data_dir)] if data_dir else []), *args]
    base = {k: v for k, v in os.environ.items() if not k.startswith("OBJECTIO_")}
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, env={**base, **(env or {})})
    run = CliRun(proc.returncode, proc.stdout, proc.stderr)
    if check is True and proc.returncode != 0:
        raise AssertionError(f"{argv} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    if check is False and proc.returncode == 0:
        raise AssertionError(f"{argv} unexpectedly succeeded:\n{proc.stdout}")
    return run


def launch_error(exc: Exception) -> str:
    """The launcher's message and the last line of the failing daemon's log, on one line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return repr(exc)
    return lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1][:400]}"


def aio_of(data_dir: Path) -> AllInOne:
    (data_dir / "run").mkdir(parents=True, exist_ok=True)  # the launcher's ready files live here
    # Gateways trust a looked-up access key this long: short, so a revoked key fails quickly.
    # A long repair grace: the fake OSDs of meta_only go silent at once, and a slow, loaded
    # machine must not see them lost (test_repair_and_scrub_on_an_idle_cluster expects none).
    env = {"OBJECTIO_DATAPATH_ACCESS_KEY_CACHE_SECONDS": "1", "OBJECTIO_META_REPAIR_GRACE_MS": "600000"}
    return AllInOne(data_dir, port=free_port(), osds=OSDS, disk_size_bytes=DISK_SIZE_BYTES, extra_env=env)


@pytest.fixture(scope="module")
def meta_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AllInOne]:
    aio = aio_of(tmp_path_factory.mktemp("meta-only"))
    try:
        aio.daemons["meta"].start()
        aio.daemons["meta"].wait_ready()
        yield aio
    finally:
        aio.stop()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AllInOne]:
    aio = aio_of(tmp_path_factory.mktemp("aio"))
    try:
        try:
            aio.start()
        except RuntimeError as exc:
            pytest.skip(f"all-in-one cluster did not start on this tree: {launch_error(exc)}")
        yield aio
    finally:
        aio.stop()
