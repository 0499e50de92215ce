"""The metadata backup file written by ``objectio-cli meta backup`` and read by ``meta restore``.

| offset | size | field |
| --- | --- | --- |
| 0 | 8 | magic ``OIOMBAK1`` (format version 1) |
| 8 | … | items: ``u32`` little-endian length, then one serialized ``meta.MetaItem`` |
| end - 16 | 4 | ``0`` (end of items) |
| end - 12 | 8 | item count, ``u64`` |
| end - 4 | 4 | CRC-32 (zlib) of every byte before it |

A file is valid only when the end marker, the count and the CRC all check: a truncated or
corrupted backup is refused before a single item is imported. Backups are written to a temporary
name, fsynced and renamed, so a crash never leaves a half file under the final name.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from objectio.protos import meta_pb2

MAGIC = b"OIOMBAK1"
ITEM_BYTES_MAX = 64 << 20  # one item (an object record is at most meta.record_bytes_max, 2 MiB)
_LEN = struct.Struct("<I")
_TRAILER = struct.Struct("<IQ")  # end marker, item count; the CRC follows


class BackupFileError(Exception):
    """Not a complete, intact backup file."""


def write(path: Path, items: Iterable[meta_pb2.MetaItem]) -> int:
    """Write every item to ``path`` atomically; the number of items."""
    tmp = path.with_name(path.name + ".tmp")
    crc = 0
    count = 0
    with open(tmp, "wb") as out:

        def put(data: bytes) -> None:
            nonlocal crc
            out.write(data)
            crc = zlib.crc32(data, crc)

        put(MAGIC)
        for item in items:
            blob = item.SerializeToString()
            put(_LEN.pack(len(blob)) + blob)
            count += 1
        put(_TRAILER.pack(0, count))
        out.write(struct.pack("<I", crc))
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return count


def verify(path: Path) -> int:
    """Check the whole file (magic, framing, count, CRC); the number of items."""
    return sum(1 for _ in _items(path))


def read(path: Path) -> Iterator[meta_pb2.MetaItem]:
    """The items of a file :func:`verify` accepted, parsed one at a time."""
    for blob in _items(path):
        item = meta_pb2.MetaItem()
        item.ParseFromString(blob)
        yield item


def _items(path: Path) -> Iterator[bytes]:
    data = path.read_bytes()
    if len(data) < len(MAGIC) + _TRAILER.size + 4 or not data.startswith(MAGIC):
        raise BackupFileError(f"{path}: not an ObjectIO metadata backup (magic {MAGIC.decode()})")
    body, (stored_crc,) = data[:-4], struct.unpack("<I", data[-4:])
    if zlib.crc32(body) != stored_crc:
        raise BackupFileError(f"{path}: checksum mismatch (truncated or corrupted)")
    offset, count = len(MAGIC), 0
    while True:
        (length,) = _LEN.unpack_from(body, offset)
        if length == 0:
            break
        if length > ITEM_BYTES_MAX or offset + 4 + length > len(body) - _TRAILER.size:
            raise BackupFileError(f"{path}: item {count} at byte {offset} runs past the end")
        yield body[offset + 4 : offset + 4 + length]
        offset += 4 + length
        count += 1
    _, stored_count = _TRAILER.unpack_from(body, offset)
    if stored_count != count or offset + _TRAILER.size != len(body):
        raise BackupFileError(f"{path}: {count} items but the trailer says {stored_count}")
