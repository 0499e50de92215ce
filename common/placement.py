"""Deterministic placement of a stripe's fragments over the cluster map.

Weighted rendezvous (highest-random-weight) hashing: every candidate OSD gets the score
``weight / -ln(u)`` with ``u`` a uniform hash of (placement key, OSD id); the highest scores win.
This is the weighted HRW rule: each OSD is chosen in proportion to its weight, and adding or
removing one OSD only moves the placements that OSD wins or held (about its share).

Failure domains: each fragment takes its best-ranked OSD that the stripe does not use yet, on
a host holding the fewest fragments of the stripe so far. So hosts fill level by level — every
host is used before any holds two fragments, and a host holds ceil(fragments / hosts) at most
unless others have too few OSDs — and only when every OSD is used does an OSD take a second
fragment of the stripe (the least-used one). Repair passes ``host_load``, the fragments the
stripe's survivors already put on each host, so rebuilt fragments fill the same levels.
Callers pass only OSDs that may take new data (up, in, not full).
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_U64 = struct.Struct(">Q")
_TWO_64 = float(1 << 64)


@dataclass(frozen=True)
class Candidate:
    osd_id: int
    host: str
    weight: float


class PlacementError(Exception):
    """No OSD can take data (empty or all-zero-weight candidate list)."""


def _score(key: bytes, candidate: Candidate) -> float:
    digest = hashlib.blake2b(key + _U64.pack(candidate.osd_id), digest_size=8).digest()
    uniform = (_U64.unpack(digest)[0] + 0.5) / _TWO_64  # in (0, 1)
    return candidate.weight / -math.log(uniform)


def place(
    key: bytes, count: int, candidates: Sequence[Candidate], host_load: Mapping[str, int] | None = None
) -> list[int]:
    """OSD ids for fragments 0..count-1 of the stripe named by ``key``.

    Each fragment index ranks the OSDs with its own hash (key, index), so fragment positions are
    independent: removing an OSD re-places only the fragments it held (plus rare collisions),
    instead of shifting every later fragment as a single ranked list would. ``host_load``:
    fragments of this stripe already on each host (placed earlier; default none).
    """
    usable = [c for c in candidates if c.weight > 0]
    if not usable or count < 1:
        raise PlacementError(f"cannot place {count} fragments on {len(usable)} usable OSDs")
    chosen: list[Candidate] = []
    uses: dict[int, int] = {}
    hosts: Counter[str] = Counter(host_load or {})
    for index in range(count):
        fragment_key = key + _U64.pack(index)
        ranked = sorted(usable, key=lambda c: _score(fragment_key, c), reverse=True)
        pick = _first_allowed(ranked, uses, hosts)
        chosen.append(pick)
        uses[pick.osd_id] = uses.get(pick.osd_id, 0) + 1
        hosts[pick.host] += 1
    return [c.osd_id for c in chosen]


def _first_allowed(ranked: list[Candidate], uses: dict[int, int], hosts: Counter[str]) -> Candidate:
    """Best-ranked unused OSD on a least-loaded host; else the least-used OSD."""
    unused = [c for c in ranked if c.osd_id not in uses]
    if unused:
        level = min(hosts[c.host] for c in unused)
        return next(c for c in unused if hosts[c.host] == level)
    fewest = min(uses.values())
    return next(c for c in ranked if uses[c.osd_id] == fewest)


def stripe_placement_key(object_id: bytes, stripe_index: int) -> bytes:
    return object_id + struct.pack(">I", stripe_index)
