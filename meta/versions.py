"""Object versions, independent of the store: version ids, their order, the versioning setting.

A bucket's versioning state is its bucket setting ``versioning``: absent (never versioned),
``b"Enabled"`` or ``b"Suspended"``. Every store reads it in the transaction of the put or delete
it governs, and a store never removes it (S3: a versioned bucket can be suspended, never
unversioned again).

Versions of one key are ordered by ``mtime_ns``: a store makes every new version's ``mtime_ns``
larger than that of the key's latest version, so the order is strict and newest = largest.
``version_order(mtime_ns)`` is a fixed-width string that sorts **newest first**, and a version
id is that string plus 8 random hex digits: ascending version ids list a key's versions newest
first (ListObjectVersions), the id alone locates the version (its first 16 digits), and the
random part keeps an id from ever naming another version created at the same nanosecond after
the first was deleted. The null version (``ObjectRecord.version_id == ""``, shown as "null")
has the order of its ``mtime_ns`` like any other.
"""

from __future__ import annotations

import re
import secrets

VERSIONING_SETTING = "versioning"
ENABLED = b"Enabled"
SUSPENDED = b"Suspended"
VERSIONING_STATES = (ENABLED, SUSPENDED)
NULL_VERSION = "null"  # how the null version is named in requests and answers
ORDER_DIGITS = 16
_ORDER_MAX = (1 << 63) - 1  # mtime_ns stays below this until the year 2262
VERSION_ID_CHARS = ORDER_DIGITS + 8
_VERSION_ID = re.compile(rf"[0-9a-f]{{{VERSION_ID_CHARS}}}")


def version_order(mtime_ns: int) -> str:
    """Sort key of a version: ascending order = newest first."""
    assert 0 <= mtime_ns <= _ORDER_MAX, f"mtime_ns {mtime_ns} out of range"
    return f"{_ORDER_MAX - mtime_ns:0{ORDER_DIGITS}x}"


def new_version_id(mtime_ns: int) -> str:
    return version_order(mtime_ns) + secrets.token_hex((VERSION_ID_CHARS - ORDER_DIGITS) // 2)


def is_version_id(text: str) -> bool:
    """Whether ``text`` can name a version: "null" or an id this release generates."""
    return text == NULL_VERSION or _VERSION_ID.fullmatch(text) is not None


def order_of_id(version_id: str) -> str:
    """The order key embedded in a (non-null) version id."""
    assert _VERSION_ID.fullmatch(version_id), f"not a version id: {version_id!r}"
    return version_id[:ORDER_DIGITS]


def public_id(stored: str) -> str:
    """The id S3 shows for a stored ``ObjectRecord.version_id`` ("" is the null version)."""
    return stored or NULL_VERSION
