"""Object checksums S3 clients send (``x-amz-checksum-<algorithm>``: base64 of the big-endian
digest) and the MD5 of Content-MD5. CRC32C is computed by the ``crc32c`` package when it is
installed (hardware accelerated) and otherwise by the table-driven pure-Python fallback below."""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Callable
from typing import Protocol

from objectio.gateway import errors

ALGORITHMS = ("crc32", "crc32c", "crc64nvme", "sha1", "sha256")
HEADER_PREFIX = "x-amz-checksum-"
_DIGEST_BYTES = {"crc32": 4, "crc32c": 4, "crc64nvme": 8, "sha1": 20, "sha256": 32}
CRC32C_POLY_REFLECTED = 0x82F63B78  # Castagnoli
CRC64NVME_POLY_REFLECTED = 0x9A6C9329AC4BC9B5


def _reflected_table(poly: int) -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C_TABLE = _reflected_table(CRC32C_POLY_REFLECTED)
_CRC64NVME_TABLE = _reflected_table(CRC64NVME_POLY_REFLECTED)
_MASK32 = 0xFFFFFFFF
_MASK64 = 0xFFFFFFFFFFFFFFFF


def crc32c_python(data: bytes, crc: int = 0) -> int:
    table = _CRC32C_TABLE
    crc ^= _MASK32
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ _MASK32


def crc64nvme(data: bytes, crc: int = 0) -> int:
    """CRC-64/NVME (pure Python: slow, used only when a client asks for it)."""
    table = _CRC64NVME_TABLE
    crc ^= _MASK64
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ _MASK64


def _find_crc32c() -> Callable[[bytes, int], int]:
    try:
        import crc32c as fast  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return crc32c_python
    func: Callable[[bytes, int], int] = fast.crc32c
    return func


crc32c = _find_crc32c()


class Hasher(Protocol):
    def update(self, data: bytes) -> None: ...

    def digest(self) -> bytes: ...


class _Crc:
    def __init__(self, func: Callable[[bytes, int], int], digest_bytes: int = 4) -> None:
        self._func = func
        self._digest_bytes = digest_bytes
        self._crc = 0

    def update(self, data: bytes) -> None:
        self._crc = self._func(data, self._crc)

    def digest(self) -> bytes:
        return self._crc.to_bytes(self._digest_bytes, "big")


def new_hasher(algorithm: str) -> Hasher:
    if algorithm == "crc32":
        return _Crc(zlib.crc32)
    if algorithm == "crc32c":
        return _Crc(crc32c)
    if algorithm == "crc64nvme":
        return _Crc(crc64nvme, 8)
    return hashlib.new(algorithm)


def algorithm_of(header: str) -> str | None:
    """``crc32`` for ``x-amz-checksum-crc32``; None for any other header."""
    if header.startswith(HEADER_PREFIX) and header[len(HEADER_PREFIX) :] in ALGORITHMS:
        return header[len(HEADER_PREFIX) :]
    return None


def decode_checksum(algorithm: str, value: str) -> bytes:
    """The digest a client declared, or InvalidRequest if it is not base64 of the right length."""
    try:
        digest = base64.b64decode(value, validate=True)
    except binascii.Error:
        digest = b""
    if len(digest) != _DIGEST_BYTES[algorithm]:
        raise errors.InvalidRequest(f"Value for x-amz-checksum-{algorithm} header is invalid.")
    return digest


def decode_content_md5(value: str) -> bytes:
    try:
        digest = base64.b64decode(value, validate=True)
    except binascii.Error:
        digest = b""
    if len(digest) != 16:
        raise errors.InvalidDigest()
    return digest


def encode(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")
