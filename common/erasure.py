"""Encoding and decoding one stripe with a pool's pyeclib driver.

A full stripe carries ``pool.stripe_data_bytes`` of object data; each of its k+m fragments is a
pyeclib fragment (80-byte header + payload) of exactly ``pool.stripe_unit_bytes``, so fragments
stay 4 KiB aligned on disk. The codes are systematic: data fragment i's payload is object bytes
[i*P, (i+1)*P) of the stripe, so a healthy read concatenates payloads and never decodes.
"""

from __future__ import annotations

from collections.abc import Mapping

from objectio.common.pools import FRAGMENT_HEADER_BYTES, PoolSpec


class DecodeError(Exception):
    """Too few (or inconsistent) fragments to rebuild a stripe."""


def encode_stripe(pool: PoolSpec, data: bytes | memoryview) -> list[bytes]:
    """k+m fragments of one stripe (``len(data)`` at most ``pool.stripe_data_bytes``)."""
    if len(data) > pool.stripe_data_bytes:
        raise ValueError(f"stripe of {len(data)} bytes exceeds {pool.stripe_data_bytes} for pool {pool.name}")
    fragments: list[bytes] = pool.driver.encode(bytes(data) if isinstance(data, memoryview) else data)
    return fragments


def payload_bytes(pool: PoolSpec, stripe_length: int) -> int:
    """Payload bytes of each fragment of a stripe holding ``stripe_length`` object bytes."""
    return max(1, -(-stripe_length // pool.k))


def join_data_fragments(pool: PoolSpec, fragments: Mapping[int, bytes], stripe_length: int) -> bytes:
    """Healthy path: concatenate the k data fragments' payloads (no decode)."""
    parts = []
    for index in range(pool.k):
        fragment = fragments[index]
        parts.append(memoryview(fragment)[FRAGMENT_HEADER_BYTES:])
    return b"".join(parts)[:stripe_length]


def decode_stripe(pool: PoolSpec, fragments: Mapping[int, bytes], stripe_length: int) -> bytes:
    """Rebuild a stripe's data from any sufficient subset of its fragments."""
    if all(i in fragments for i in range(pool.k)):
        return join_data_fragments(pool, fragments, stripe_length)
    try:
        data: bytes = pool.driver.decode(list(fragments.values()))
    except Exception as exc:  # pyeclib's ECDriverError tree
        raise DecodeError(f"pool {pool.name}: cannot decode stripe from fragments {sorted(fragments)}: {exc}") from exc
    if len(data) != stripe_length:
        raise DecodeError(f"pool {pool.name}: decoded {len(data)} bytes, expected {stripe_length}")
    return data


def reconstruct_fragments(pool: PoolSpec, fragments: Mapping[int, bytes], missing: list[int]) -> list[bytes]:
    """Rebuild the fragments at indices ``missing`` (repair)."""
    try:
        rebuilt: list[bytes] = pool.driver.reconstruct(list(fragments.values()), missing)
    except Exception as exc:
        raise DecodeError(f"pool {pool.name}: cannot rebuild fragments {missing}: {exc}") from exc
    return rebuilt
