"""Deterministic placement of a stripe's fragments over the cluster map.

Weighted rendezvous (highest-random-weight) hashing: every candidate OSD gets the score
``weight / -ln(u)`` with ``u`` a uniform hash of (placement key, OSD id); the highest scores win.
This is the weighted HRW rule: each OSD is chosen in proportion to its weight, and adding or
removing one OSD only moves the placements that OSD wins or held (about its share).

Failure domains: each fragment takes its best-ranked OSD on a host the stripe does not use yet;
only when every host is used does a fragment go to another OSD of a used host, and only when
every OSD is used does an OSD take a second fragment of the stripe (the least-used one).
Callers pass only OSDs that may take new data (up, in, not full).
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Sequence
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


def place(key: bytes, count: int, candidates: Sequence[Candidate]) -> list[int]:
    """OSD ids for fragments 0..count-1 of the stripe named by ``key``.

    Each fragment index ranks the OSDs with its own hash (key, index), so fragment positions are
    independent: removing an OSD re-places only the fragments it held (plus rare collisions),
    instead of shifting every later fragment as a single ranked list would.
    """
    usable = [c for c in candidates if c.weight > 0]
    if not usable or count < 1:
        raise PlacementError(f"cannot place {count} fragments on {len(usable)} usable OSDs")
    all_hosts = {c.host for c in usable}
    chosen: list[Candidate] = []
    uses: dict[int, int] = {}
    used_hosts: set[str] = set()
    for index in range(count):
        fragment_key = key + _U64.pack(index)
        ranked = sorted(usable, key=lambda c: _score(fragment_key, c), reverse=True)
        pick = _first_allowed(ranked, uses, used_hosts, all_hosts)
        chosen.append(pick)
        uses[pick.osd_id] = uses.get(pick.osd_id, 0) + 1
        used_hosts.add(pick.host)
    return [c.osd_id for c in chosen]


def _first_allowed(
    ranked: list[Candidate], uses: dict[int, int], used_hosts: set[str], all_hosts: set[str]
) -> Candidate:
    """Best-ranked OSD on an unused host; else an unused OSD; else the least-used OSD."""
    if used_hosts != all_hosts:
        return next(c for c in ranked if c.host not in used_hosts)
    unused = [c for c in ranked if c.osd_id not in uses]
    if unused:
        return unused[0]
    fewest = min(uses.values())
    return next(c for c in ranked if uses[c.osd_id] == fewest)


def stripe_placement_key(object_id: bytes, stripe_index: int) -> bytes:
    return object_id + struct.pack(">I", stripe_index)
