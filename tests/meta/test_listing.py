"""ListObjects against a brute-force model over thousands of keys (seeded, reproducible)."""

from __future__ import annotations

import asyncio
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from objectio.meta.errors import NotFound
from objectio.meta.listing import Fetch, list_page, prefix_successor
from objectio.meta.sqlite_store import SqliteMetaStore
from objectio.meta.store import MetaStore
from tests.meta.conftest import record

SEED = 20261122
ALPHABET = ["a", "b", "/", "-", "é", "z", "日", "ab/"]


def make_keys(rng: random.Random, count: int) -> list[str]:
    keys: set[str] = set()
    while len(keys) < count:
        keys.add("".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 7))))
    return sorted(keys, key=str.encode)


def model(keys: list[str], prefix: str, delimiter: str, start_after: str, max_keys: int) -> tuple[list[str], bool]:
    """Every entry (keys, and common prefixes marked with a trailing '*'), the S3 way."""
    entries: list[str] = []
    seen: set[str] = set()
    for key in keys:
        if not key.startswith(prefix):
            continue
        index = key.find(delimiter, len(prefix)) if delimiter else -1
        name = key if index < 0 else key[: index + len(delimiter)]
        if name in seen or name.encode() <= start_after.encode():
            continue
        seen.add(name)
        entries.append(name + ("*" if index >= 0 else ""))
    return entries[:max_keys], len(entries) > max_keys


def flatten(objects: list[str], prefixes: list[str]) -> list[str]:
    return sorted([*objects, *(p + "*" for p in prefixes)], key=lambda e: e.rstrip("*").encode())


@pytest.fixture
async def listed(store: MetaStore) -> list[str]:
    count = 2600 if isinstance(store, SqliteMetaStore) else 800  # etcd: one network commit per put
    keys = make_keys(random.Random(SEED), count)
    for start in range(0, len(keys), 500):
        await asyncio.gather(*(store.put_object(record("photos", k), False) for k in keys[start : start + 500]))
    return keys


async def test_random_pages_match_the_model(store: MetaStore, listed: list[str]) -> None:
    rng = random.Random(SEED + 1)
    for trial in range(150):
        base = rng.choice(listed)
        prefix = base[: rng.randint(0, 2)]
        delimiter = rng.choice(["", "/", "/", "b", "ab/"])
        start_after = rng.choice(["", "", rng.choice(listed)[: rng.randint(1, 4)], rng.choice(listed)])
        max_keys = rng.choice([1, 2, 7, 100, 1000])
        page = await store.list_objects("photos", prefix, delimiter, start_after, max_keys)
        expected, truncated = model(listed, prefix, delimiter, start_after, max_keys)
        got = flatten(list(page.keys), list(page.common_prefixes))
        context = f"trial={trial} seed={SEED} prefix={prefix!r} delimiter={delimiter!r} after={start_after!r}"
        assert got == expected, context
        assert page.is_truncated == truncated, context
        assert page.next_marker == (expected[-1].rstrip("*") if truncated else ""), context
        assert list(page.etags) == ["e-" + k for k in page.keys], context
        assert len(page.sizes) == len(page.mtimes_ns) == len(page.is_inline) == len(page.keys), context


@pytest.mark.parametrize(
    ("prefix", "delimiter", "max_keys"), [("", "", 333), ("", "/", 5), ("a", "/", 17), ("", "b", 1)]
)
async def test_pagination_with_next_marker_walks_everything(
    store: MetaStore, listed: list[str], prefix: str, delimiter: str, max_keys: int
) -> None:
    marker, walked, pages = "", [], 0
    while True:
        page = await store.list_objects("photos", prefix, delimiter, marker, max_keys)
        walked += flatten(list(page.keys), list(page.common_prefixes))
        pages += 1
        if not page.is_truncated:
            break
        marker = page.next_marker
    expected, _ = model(listed, prefix, delimiter, "", len(listed))
    assert walked == expected
    assert pages == max(1, -(-len(expected) // max_keys))  # truncation is exact: no empty last page


async def test_common_prefixes_are_skipped_by_seeking() -> None:
    """A prefix with 10,000 keys under it costs one read, not 10,000 rows."""
    keys = [f"big/{i:05d}".encode() for i in range(10_000)] + [b"small/1", b"z"]
    rows_read = 0

    def fetch(lo: bytes, inclusive: bool, hi: bytes | None, limit: int) -> list[tuple[bytes, bytes]]:
        nonlocal rows_read
        selected = [k for k in keys if (k >= lo if inclusive else k > lo) and (hi is None or k < hi)][:limit]
        rows_read += len(selected)
        return [(k, k) for k in selected]

    page = list_page(fetch, "", "/", "", 1000)
    assert page.common_prefixes == ["big/", "small/"] and page.objects == [b"z"] and page.keys == ["z"]
    assert rows_read < 300


async def test_listing_a_missing_bucket(store: MetaStore) -> None:
    with pytest.raises(NotFound):
        await store.list_objects("nope", "", "", "", 10)


def test_prefix_successor() -> None:
    assert prefix_successor(b"ab") == b"ac"
    assert prefix_successor(b"a\xff") == b"b"
    assert prefix_successor(b"\xff\xff") is None
    assert prefix_successor(b"") is None


def _memory_fetch(keys: list[bytes]) -> Fetch[str]:
    def fetch(lo: bytes, inclusive: bool, hi: bytes | None, limit: int) -> list[tuple[bytes, str]]:
        rows = [k for k in keys if (k >= lo if inclusive else k > lo) and (hi is None or k < hi)]
        return [(k, k.decode()) for k in rows[:limit]]

    return fetch


_TEXT = st.text(alphabet="ab/-é日\U0001f600", max_size=5)


@settings(derandomize=True, max_examples=400, deadline=None)
@given(
    keys=st.sets(_TEXT.filter(bool), max_size=40),
    prefix=_TEXT,
    delimiter=st.sampled_from(["", "/", "a", "b/", "日"]),
    start_after=_TEXT,
    max_keys=st.integers(1, 6),
)
def test_list_page_matches_the_model_for_arbitrary_inputs(
    keys: set[str], prefix: str, delimiter: str, start_after: str, max_keys: int
) -> None:
    ordered = sorted(keys, key=str.encode)
    page = list_page(_memory_fetch([k.encode() for k in ordered]), prefix, delimiter, start_after, max_keys)
    expected, truncated = model(ordered, prefix, delimiter, start_after, max_keys)
    assert flatten(page.objects, page.common_prefixes) == expected
    assert page.is_truncated == truncated
    if truncated:  # resuming from the marker continues exactly where the page ended
        rest = list_page(_memory_fetch([k.encode() for k in ordered]), prefix, delimiter, page.next_marker, 1000)
        full, _ = model(ordered, prefix, delimiter, start_after, 1000)
        assert expected + flatten(rest.objects, rest.common_prefixes) == full
