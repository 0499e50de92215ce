"""Opening this OSD's disk: format it on first start (only when it is blank) and open it.

A disk counts as blank when it does not exist yet (file-backed) or its first 64 KiB are zeros:
an ObjectIO superblock is never all zeros, so an unreadable or damaged superblock is reported,
never silently reformatted.
"""

from __future__ import annotations

import os
from pathlib import Path

from objectio.native.engine import Engine, SuperblockInfo

BLANK_PROBE_BYTES = 64 << 10


def is_blank(path: str) -> bool:
    target = Path(path)
    if not target.exists():
        return True
    with open(target, "rb") as handle:
        head = handle.read(BLANK_PROBE_BYTES)
    return head.count(0) == len(head)


def create_file_disk(path: str, size_bytes: int) -> None:
    """Create a sparse file-backed disk of ``size_bytes`` (development and tests)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "ab") as handle:
        if os.fstat(handle.fileno()).st_size < size_bytes:
            handle.truncate(size_bytes)


def format_disk(path: str, *, osd_id: int, cluster_id: str, size_bytes: int, force: bool) -> SuperblockInfo:
    if size_bytes and not Path(path).exists():
        create_file_disk(path, size_bytes)
    return Engine.format(path, osd_id=osd_id, cluster_id=cluster_id, force=force)
