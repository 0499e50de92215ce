"""Process identity and lifetime for daemons: name the role in the process title and, under the
all-in-one launcher, die with the parent (Linux PR_SET_PDEATHSIG) so no daemon outlives it."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15
DIE_WITH_PARENT_ENV = "OBJECTIO_DIE_WITH_PARENT"


def _prctl(option: int, arg: int | bytes) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    value = ctypes.c_char_p(arg) if isinstance(arg, bytes) else ctypes.c_ulong(arg)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl({option}) failed: {os.strerror(err)}")


def set_role(role: str) -> None:
    """Name the process after its role (``ps -o comm`` shows it; the command line already does)."""
    _prctl(_PR_SET_NAME, role.encode()[:15])


def die_with_parent_if_asked() -> None:
    """When the launcher set OBJECTIO_DIE_WITH_PARENT=1, get SIGKILL as soon as it dies."""
    if os.environ.get(DIE_WITH_PARENT_ENV) != "1":
        return
    _prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
    if os.getppid() == 1:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGKILL)


def write_ready_file(path: str | None, content: str = "ready\n") -> None:
    """Atomically create the file the launcher or a test waits for."""
    if not path:
        return
    target = Path(path)
    tmp = target.with_suffix(target.suffix + ".tmp")
    tmp.write_text(content)
    tmp.replace(target)


_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MALLOC_MMAP_THRESHOLD_BYTES = 32 << 20  # glibc's ceiling for this setting on 64-bit
MALLOC_TRIM_THRESHOLD_BYTES = 128 << 20


def tune_malloc() -> None:
    """Keep multi-MiB buffers (stripes, fragments) on the heap instead of fresh mmaps.

    glibc serves allocations above its mmap threshold with a new mapping each time, so every
    4 MiB stripe encode page-faults its output buffers in again: measured here, pyeclib encodes
    at ~0.4 GB/s that way and at ~5 GB/s once the buffers are reused. The threshold would rise
    by itself after a few frees; setting it at start-up makes the first requests fast too.
    """
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    for option, value in (
        (_M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD_BYTES),
        (_M_TRIM_THRESHOLD, MALLOC_TRIM_THRESHOLD_BYTES),
    ):
        if libc.mallopt(option, value) != 1:
            raise OSError(f"mallopt({option}, {value}) failed")
