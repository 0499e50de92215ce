"""Third-party S3 clients (rclone, s3cmd) run against a cluster: a source tree to sync, a clean
environment (no AWS_* or RCLONE_* settings of the caller, HOME in the test's directory so nothing
is written to the real one) and a runner that fails with the tool's output."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
from pathlib import Path

import pytest

LARGE_BYTES = 12_000_000  # three 5 MiB-or-less parts with a 5 MiB part size
TREE = {
    "small.bin": 1000,
    "empty.txt": 0,
    "a/large.bin": LARGE_BYTES,
    "a/b/c/deep.txt": 3,
    "a/b/sibling.txt": 70_000,
    "d/x.txt": 2,
    "spaces and+plus/ü.txt": 17,
}


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed: apt-get install {tool} (listed in .ci/apt-packages.txt)")
    return path


def make_tree(root: Path, seed: int = 7) -> Path:
    """The files of TREE with reproducible pseudo-random content."""
    import random

    rng = random.Random(seed)
    for name, size in TREE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(size))
    return root


def same_tree(left: Path, right: Path) -> list[str]:
    """Relative paths that differ (missing on either side or different bytes)."""
    left_files = {p.relative_to(left).as_posix() for p in left.rglob("*") if p.is_file()}
    right_files = {p.relative_to(right).as_posix() for p in right.rglob("*") if p.is_file()}
    differ = sorted(left_files ^ right_files)
    differ += [n for n in sorted(left_files & right_files) if not filecmp.cmp(left / n, right / n, shallow=False)]
    return differ


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RCLONE_", "S3CMD"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache"))
    return env


def run(
    argv: list[str], env: dict[str, str], *, check: bool = True, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{argv} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result
