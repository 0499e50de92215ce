"""ListObjectVersions over an ordered (key, version order) range, with common prefixes rolled up
by seeking — the versions counterpart of :mod:`objectio.meta.listing`, also storage-agnostic.

Rows are ordered by key (UTF-8 bytes) and then by ``vorder`` (newest first). The store gives a
``fetch(lo_key, after_vorder, hi, limit)`` returning the next rows with ``key == lo_key and
vorder > after_vorder`` or ``lo_key < key < hi`` (``after_vorder`` None: every version of
``lo_key`` too).

A page starts after ``(key_marker, marker_vorder)`` (the caller turns the version-id marker into
its order; none given: after every version of ``key_marker``); a ``key_marker`` inside a common
prefix resumes after the whole prefix. Versions and common prefixes both count toward
``max_keys``; the page is truncated only if one more entry exists, and then names the last entry
returned so the caller can produce NextKeyMarker / NextVersionIdMarker. As in ListObjects, each
read yields a new entry or ends the page, so a page costs at most ``max_keys + 1`` seeks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from objectio.meta.listing import DELIMITER_CHUNK_ROWS, prefix_successor
from objectio.meta.versions import public_id
from objectio.protos import meta_pb2 as pb

T = TypeVar("T")
# fetch(lo_key, after_vorder_or_None, hi_exclusive_or_None, limit) -> rows (key, vorder, payload)
VersionFetch = Callable[[bytes, str | None, bytes | None, int], list[tuple[bytes, str, T]]]


@dataclass
class VersionPage(Generic[T]):
    versions: list[T] = field(default_factory=list)
    common_prefixes: list[str] = field(default_factory=list)
    is_truncated: bool = False
    next_key_marker: str = ""
    next_version: T | None = None  # the last version returned when truncated (None: a common prefix)


def versions_reply(page: VersionPage[pb.ObjectVersion]) -> pb.ListObjectVersionsReply:
    """The ListObjectVersions reply of one page (both stores)."""
    reply = pb.ListObjectVersionsReply(
        versions=page.versions, common_prefixes=page.common_prefixes, is_truncated=page.is_truncated
    )
    if page.is_truncated:
        reply.next_key_marker = page.next_key_marker
        if page.next_version is not None:
            reply.next_version_id_marker = public_id(page.next_version.record.version_id)
    return reply


def _rolled(key: str, prefix: str, delimiter: str) -> str | None:
    if not delimiter:
        return None
    index = key.find(delimiter, len(prefix))
    return key[: index + len(delimiter)] if index >= 0 else None


def _start(prefix: str, delimiter: str, key_marker: str, marker_vorder: str | None) -> tuple[bytes, str | None] | None:
    """(lo_key, after_vorder) of the first row; None when nothing can follow the marker."""
    lo = prefix.encode()
    if not key_marker or key_marker.encode() < lo:
        return lo, None
    if key_marker.startswith(prefix):
        rolled = _rolled(key_marker, prefix, delimiter)
        if rolled is not None:
            after = prefix_successor(rolled.encode())
            return None if after is None else (after, None)
    if marker_vorder is None:
        return key_marker.encode() + b"\x00", None  # the smallest key after key_marker
    return key_marker.encode(), marker_vorder


VersionRequest = tuple[bytes, str | None, bytes | None, int]  # fetch's arguments


def list_versions_page(
    fetch: VersionFetch[T], prefix: str, delimiter: str, key_marker: str, marker_vorder: str | None, max_keys: int
) -> VersionPage[T]:
    """One page, reading through a synchronous ``fetch`` (SQLite)."""
    steps: Generator[VersionRequest, list[tuple[bytes, str, T]], VersionPage[T]] = version_steps(
        prefix, delimiter, key_marker, marker_vorder, max_keys
    )
    try:
        request = next(steps)
        while True:
            request = steps.send(fetch(*request))
    except StopIteration as done:
        page: VersionPage[T] = done.value
        return page


async def list_versions_page_async(
    fetch: Callable[[bytes, str | None, bytes | None, int], Awaitable[list[tuple[bytes, str, T]]]],
    prefix: str,
    delimiter: str,
    key_marker: str,
    marker_vorder: str | None,
    max_keys: int,
) -> VersionPage[T]:
    """One page, reading through an asynchronous ``fetch`` (etcd)."""
    steps: Generator[VersionRequest, list[tuple[bytes, str, T]], VersionPage[T]] = version_steps(
        prefix, delimiter, key_marker, marker_vorder, max_keys
    )
    try:
        request = next(steps)
        while True:
            request = steps.send(await fetch(*request))
    except StopIteration as done:
        page: VersionPage[T] = done.value
        return page


def version_steps(
    prefix: str, delimiter: str, key_marker: str, marker_vorder: str | None, max_keys: int
) -> Generator[VersionRequest, list[tuple[bytes, str, T]], VersionPage[T]]:
    """The algorithm without I/O: yields each read it needs, receives its rows, returns the page."""
    assert max_keys >= 1, f"max_keys={max_keys}"
    page: VersionPage[T] = VersionPage()
    start = _start(prefix, delimiter, key_marker, marker_vorder)
    if start is None:
        return page
    lo, after = start
    hi = prefix_successor(prefix.encode())
    while True:
        remaining = max_keys - len(page.versions) - len(page.common_prefixes)
        limit = remaining + 1 if not delimiter else min(remaining + 1, DELIMITER_CHUNK_ROWS)
        rows = yield (lo, after, hi, limit)
        current: str | None = None
        for raw_key, _vorder, payload in rows:
            key = raw_key.decode()
            assert key.startswith(prefix), "fetch out of range"
            rolled = _rolled(key, prefix, delimiter)
            if rolled is not None and rolled == current:
                continue
            if len(page.versions) + len(page.common_prefixes) == max_keys:
                page.is_truncated = True
                return page
            if rolled is not None:
                page.common_prefixes.append(rolled)
                page.next_key_marker, page.next_version, current = rolled, None, rolled
            else:
                page.versions.append(payload)
                page.next_key_marker, page.next_version, current = key, payload, None
        if len(rows) < limit:
            break
        if current is not None:
            successor = prefix_successor(current.encode())
            if successor is None:
                break
            lo, after = successor, None
        else:
            lo, after = rows[-1][0], rows[-1][1]
    page.next_key_marker, page.next_version = "", None
    return page
