"""Storage pools: validated erasure-coding profiles, in one registry.

A pool names an EC scheme (type, k, m, local groups for LRC) and the stripe unit. Pools are data,
checked once when they are created or loaded: the pyeclib driver is built and a round trip
encode/decode is verified then, never on the first PUT. Which pool an object uses is a lookup
by name, not an ``if`` chain.

Failure tolerance (the number of arbitrary fragment losses every stripe survives) is stated here
and used everywhere else (write quorums, repair urgency, tests):

* Reed-Solomon k+m survives any m losses.
* pyeclib's ``isa_l_rs_lrc`` counts the l local parities inside m: it guarantees only
  m - l + 1 arbitrary losses (more when they fall in different local groups) and needs 2l <= k.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from objectio.protos import meta_pb2

# pyeclib prefixes every fragment with a fixed-size header (liberasurecode's fragment_header_t).
FRAGMENT_HEADER_BYTES = 80
STRIPE_UNIT_BYTES_MIN = 4096
STRIPE_UNIT_BYTES_MAX = 8 << 20  # an engine record holds one fragment: keep well under its extent limit
FRAGMENTS_MAX = 32
POOL_FORMAT_VERSION = 1


class PoolError(ValueError):
    """A pool definition is invalid; the message names the pool and the rule it breaks."""


class PoolType(enum.IntEnum):
    RS_VAND = 0
    RS_CAUCHY = 1
    LRC = 2

    @property
    def ec_type(self) -> str:
        return {
            PoolType.RS_VAND: "isa_l_rs_vand",
            PoolType.RS_CAUCHY: "isa_l_rs_cauchy",
            PoolType.LRC: "isa_l_rs_lrc",
        }[self]


@dataclass(frozen=True)
class PoolSpec:
    name: str
    type: PoolType
    k: int
    m: int
    local_groups: int = 0
    stripe_unit_bytes: int = 1 << 20

    def __post_init__(self) -> None:
        self._validate_shape()

    def _validate_shape(self) -> None:
        where = f"pool {self.name!r}"
        if not self.name or len(self.name) > 63 or not all(c.isalnum() or c in "-_." for c in self.name):
            raise PoolError(f"{where}: name must be 1-63 characters of letters, digits, '-', '_' or '.'")
        if self.k < 1 or self.m < 1:
            raise PoolError(f"{where}: k and m must be at least 1 (k={self.k}, m={self.m})")
        if self.k + self.m > FRAGMENTS_MAX:
            raise PoolError(f"{where}: k+m={self.k + self.m} exceeds {FRAGMENTS_MAX} fragments")
        if not STRIPE_UNIT_BYTES_MIN <= self.stripe_unit_bytes <= STRIPE_UNIT_BYTES_MAX:
            raise PoolError(
                f"{where}: stripe_unit_bytes={self.stripe_unit_bytes} outside "
                f"[{STRIPE_UNIT_BYTES_MIN}, {STRIPE_UNIT_BYTES_MAX}]"
            )
        if self.stripe_unit_bytes % 4096:
            raise PoolError(f"{where}: stripe_unit_bytes must be a multiple of 4096 (disk alignment)")
        if self.type is PoolType.LRC:
            l_ = self.local_groups
            if l_ < 1:
                raise PoolError(f"{where}: an LRC pool needs local_groups >= 1")
            if 2 * l_ > self.k or self.k % l_:
                raise PoolError(f"{where}: LRC needs 2*local_groups <= k and k divisible by local_groups")
            if self.m <= l_:
                raise PoolError(f"{where}: LRC needs m > local_groups (global parities = m - local_groups)")
        elif self.local_groups:
            raise PoolError(f"{where}: local_groups applies to LRC pools only")

    # ---- derived facts ---------------------------------------------------------------------------

    @property
    def fragments(self) -> int:
        return self.k + self.m

    @property
    def failure_tolerance(self) -> int:
        """Arbitrary fragment losses every stripe survives (see module docstring)."""
        if self.type is PoolType.LRC:
            return self.m - self.local_groups + 1
        return self.m

    @property
    def write_quorum(self) -> int:
        """Fragments of a stripe that must be durable before a (degraded) write is acknowledged:
        k + 1, so an acknowledged stripe still survives one more loss while it awaits repair."""
        return min(self.fragments, self.k + 1)

    @property
    def fragment_payload_bytes(self) -> int:
        """Object bytes carried by each data fragment of a full stripe (header excluded)."""
        return self.stripe_unit_bytes - FRAGMENT_HEADER_BYTES

    @property
    def stripe_data_bytes(self) -> int:
        """Object bytes in one full stripe; its fragments are exactly ``stripe_unit_bytes`` on disk."""
        return self.k * self.fragment_payload_bytes

    def stripe_count(self, object_size: int) -> int:
        return max(1, -(-object_size // self.stripe_data_bytes))

    def local_group_of(self, fragment_index: int) -> int | None:
        """LRC: local group of a data or local-parity fragment; None for global parities/RS."""
        if self.type is not PoolType.LRC:
            return None
        group_size = self.k // self.local_groups
        if fragment_index < self.k:
            return fragment_index // group_size
        global_parities = self.m - self.local_groups
        local_index = fragment_index - self.k - global_parities
        return local_index if 0 <= local_index < self.local_groups else None

    @cached_property
    def driver(self) -> Any:
        """The pyeclib driver, built and round-trip checked once."""
        from pyeclib.ec_iface import ECDriver

        kwargs: dict[str, Any] = {"k": self.k, "m": self.m, "ec_type": self.type.ec_type}
        if self.type is PoolType.LRC:
            kwargs["local_parity"] = self.local_groups
        try:
            driver = ECDriver(**kwargs)
        except Exception as exc:  # pyeclib raises its own exception tree
            raise PoolError(f"pool {self.name!r}: pyeclib cannot build {kwargs}: {exc}") from exc
        probe = bytes(range(256)) * 16
        fragments = driver.encode(probe)
        if len(fragments) != self.fragments:
            raise PoolError(f"pool {self.name!r}: pyeclib returned {len(fragments)} fragments")
        survivors = fragments[self.failure_tolerance :]
        if driver.decode(survivors) != probe:
            raise PoolError(f"pool {self.name!r}: round trip after {self.failure_tolerance} losses failed")
        return driver

    def check(self) -> PoolSpec:
        """Build and verify the driver now (raises PoolError); returns self for chaining."""
        _ = self.driver
        return self

    # ---- protobuf --------------------------------------------------------------------------------

    @classmethod
    def from_proto(cls, pb: meta_pb2.Pool) -> PoolSpec:
        try:
            pool_type = PoolType(pb.type)
        except ValueError:
            raise PoolError(f"pool {pb.name!r}: unknown type {pb.type}") from None
        return cls(
            name=pb.name,
            type=pool_type,
            k=pb.k,
            m=pb.m,
            local_groups=pb.local_groups,
            stripe_unit_bytes=pb.stripe_unit_bytes or (1 << 20),
        ).check()

    def to_proto(self) -> meta_pb2.Pool:
        from objectio.protos import meta_pb2

        return meta_pb2.Pool(
            name=self.name,
            type=meta_pb2.PoolType.Value("POOL_" + self.type.name),
            k=self.k,
            m=self.m,
            local_groups=self.local_groups,
            stripe_unit_bytes=self.stripe_unit_bytes,
            format_version=POOL_FORMAT_VERSION,
        )


# The pools every cluster starts with. LRC 8+4 with 2 local groups: 8 data fragments in two
# groups of 4, 2 local parities (one per group) and 2 global parities = 12 fragments, 1.5x
# overhead like RS 8+4; a lost data fragment is rebuilt from its 4 group peers instead of 8.
DEFAULT_POOLS: list[PoolSpec] = [
    PoolSpec("rs-4-2", PoolType.RS_VAND, k=4, m=2),
    PoolSpec("rs-8-4", PoolType.RS_VAND, k=8, m=4),
    PoolSpec("lrc-8-2-2", PoolType.LRC, k=8, m=4, local_groups=2),
]
