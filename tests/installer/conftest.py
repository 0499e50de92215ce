"""Installer fixtures: loop devices over sparse files in the test's tmp_path, always detached.

Tests that need them are skipped (with the reason printed by ``-ra``) when not root or when
losetup is missing; they never touch a device they did not create.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

LOOP_FILE_BYTES = 256 << 20


def run_installer(*args: str, check: bool | None = True) -> subprocess.CompletedProcess[str]:
    """``objectio-install ARGS --json``; check=True: must exit 0, False: must not, None: any."""
    argv = [sys.executable, "-m", "objectio.installer.main", *args, "--json"]
    env = {k: v for k, v in os.environ.items() if k != "OBJECTIO_CLUSTER_TOKEN"}
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
    if check is True and proc.returncode != 0:
        raise AssertionError(f"{argv} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    if check is False and proc.returncode == 0:
        raise AssertionError(f"{argv} unexpectedly succeeded:\n{proc.stdout}")
    return proc


@pytest.fixture()
def loop_device(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """``make(name)`` attaches a loop device over ``tmp_path/name.img`` and returns /dev/loopN."""
    if os.geteuid() != 0:
        pytest.skip("loop devices need root")
    if shutil.which("losetup") is None:
        pytest.skip("losetup not installed (util-linux)")
    attached: list[str] = []

    def make(name: str) -> str:
        backing = tmp_path / f"{name}.img"
        with open(backing, "wb") as handle:
            handle.truncate(LOOP_FILE_BYTES)
        proc = subprocess.run(["losetup", "--find", "--show", str(backing)], capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"losetup cannot attach a loop device here: {proc.stderr.strip()}")
        device = proc.stdout.strip()
        attached.append(device)
        return device

    try:
        yield make
    finally:
        for device in attached:
            subprocess.run(["losetup", "--detach", device], capture_output=True, check=False)
