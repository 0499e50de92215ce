"""ListObjects over an ordered key range, with common prefixes rolled up by seeking.

Keys are compared as UTF-8 bytes (memcmp), which is also code-point order, so the storage index
order is S3's listing order. The algorithm is storage-agnostic: it asks ``fetch`` for the next
rows of ``[lo, hi)`` in key order and never looks at the store itself.

Algorithm (one page):

1. The range starts at ``prefix`` (inclusive) or just after ``start_after`` if that is later.
   If ``start_after`` lies inside a common prefix ``cp`` (prefix + ... + delimiter), the range
   starts after every key under ``cp`` — ``cp`` itself sorts before ``start_after`` and was
   already returned.
2. Rows are read in chunks. A key whose remainder after ``prefix`` contains the delimiter
   rolls up into its common prefix, emitted once; the following rows under the same prefix are
   skipped while they are in the chunk, and if the chunk ends inside it the next read seeks to
   the first key after the prefix (``prefix_successor``) instead of reading its keys.
3. Keys and common prefixes both count toward ``max_keys``. The page is truncated when one more
   entry exists after ``max_keys`` entries; ``next_marker`` is then the last entry returned (a
   key or a common prefix), which resumes the listing exactly when passed as ``start_after``.

Each read either ends the listing or yields at least one new entry, so a page costs at most
``max_keys + 1`` index seeks, whatever the number of keys under a common prefix.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
# fetch(lo, lo_inclusive, hi_exclusive_or_None, limit) -> rows as (key bytes, payload) in key order
Fetch = Callable[[bytes, bool, bytes | None, int], list[tuple[bytes, T]]]

DELIMITER_CHUNK_ROWS = 128  # with a delimiter, rows read per seek: most may be skipped


@dataclass
class ListPage(Generic[T]):
    keys: list[str] = field(default_factory=list)  # keys[i] is the key of objects[i]
    objects: list[T] = field(default_factory=list)
    common_prefixes: list[str] = field(default_factory=list)
    is_truncated: bool = False
    next_marker: str = ""


def prefix_successor(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string that starts with ``prefix``
    (None: no such string, i.e. the prefix is empty or all 0xFF)."""
    buf = bytearray(prefix)
    while buf:
        if buf[-1] < 0xFF:
            buf[-1] += 1
            return bytes(buf)
        buf.pop()
    return None


def _common_prefix(key: str, prefix: str, delimiter: str) -> str | None:
    if not delimiter:
        return None
    index = key.find(delimiter, len(prefix))
    return key[: index + len(delimiter)] if index >= 0 else None


def _start(prefix: str, delimiter: str, start_after: str) -> tuple[bytes, bool] | None:
    """Lower bound (key, inclusive) of the page; None when nothing can follow start_after."""
    lo, inclusive = prefix.encode(), True
    if start_after.encode() >= lo:
        lo, inclusive = start_after.encode(), False
        if start_after.startswith(prefix):
            rolled = _common_prefix(start_after, prefix, delimiter)
            if rolled is not None:
                after = prefix_successor(rolled.encode())
                if after is None:
                    return None
                lo, inclusive = after, True
    return lo, inclusive


Request = tuple[bytes, bool, bytes | None, int]  # (lo, lo_inclusive, hi_exclusive_or_None, limit)


def list_page(fetch: Fetch[T], prefix: str, delimiter: str, start_after: str, max_keys: int) -> ListPage[T]:
    """One page, reading through a synchronous ``fetch`` (SQLite)."""
    steps: Generator[Request, list[tuple[bytes, T]], ListPage[T]] = list_steps(prefix, delimiter, start_after, max_keys)
    try:
        request = next(steps)
        while True:
            request = steps.send(fetch(*request))
    except StopIteration as done:
        page: ListPage[T] = done.value
        return page


async def list_page_async(
    fetch: Callable[[bytes, bool, bytes | None, int], Awaitable[list[tuple[bytes, T]]]],
    prefix: str,
    delimiter: str,
    start_after: str,
    max_keys: int,
) -> ListPage[T]:
    """One page, reading through an asynchronous ``fetch`` (etcd)."""
    steps: Generator[Request, list[tuple[bytes, T]], ListPage[T]] = list_steps(prefix, delimiter, start_after, max_keys)
    try:
        request = next(steps)
        while True:
            request = steps.send(await fetch(*request))
    except StopIteration as done:
        page: ListPage[T] = done.value
        return page


def list_steps(
    prefix: str, delimiter: str, start_after: str, max_keys: int
) -> Generator[Request, list[tuple[bytes, T]], ListPage[T]]:
    """The algorithm without I/O: yields each read it needs, receives its rows, returns the page."""
    assert max_keys >= 1, f"max_keys={max_keys}"
    page: ListPage[T] = ListPage()
    start = _start(prefix, delimiter, start_after)
    if start is None:
        return page
    lo, inclusive = start
    hi = prefix_successor(prefix.encode())
    while True:
        remaining = max_keys - len(page.objects) - len(page.common_prefixes)
        limit = remaining + 1 if not delimiter else min(remaining + 1, DELIMITER_CHUNK_ROWS)
        rows = yield (lo, inclusive, hi, limit)
        current_prefix: str | None = None
        for raw_key, payload in rows:
            key = raw_key.decode()
            assert key.startswith(prefix) and (raw_key > lo or (inclusive and raw_key == lo)), "fetch out of range"
            rolled = _common_prefix(key, prefix, delimiter)
            if rolled is not None and rolled == current_prefix:
                continue  # under the prefix just emitted
            if len(page.objects) + len(page.common_prefixes) == max_keys:
                page.is_truncated = True
                return page
            if rolled is not None:
                page.common_prefixes.append(rolled)
                page.next_marker = current_prefix = rolled
            else:
                page.keys.append(key)
                page.objects.append(payload)
                page.next_marker = key
                current_prefix = None
        if len(rows) < limit:
            return _finish(page)
        if current_prefix is not None:
            after = prefix_successor(current_prefix.encode())
            if after is None:
                return _finish(page)
            lo, inclusive = after, True
        else:
            lo, inclusive = rows[-1][0], False


def _finish(page: ListPage[T]) -> ListPage[T]:
    page.next_marker = ""  # only a truncated page needs a marker
    return page
