"""Bytes read to repair one lost fragment, per pool: pure pyeclib, no cluster.

For every fragment index of a full stripe, the repair planner's read set
(``objectio.meta.repair_planner.read_set``) is read, the lost fragment is rebuilt with pyeclib
and compared byte for byte with the original (a mismatch aborts). Prints a Markdown table:
bytes read per single-fragment repair (mean over all indices, and the data-fragment case) and
the mean rebuild time.

``python bench/repair_bench.py [--stripe-unit-bytes N] [--rounds R]``
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from objectio.common.erasure import encode_stripe
from objectio.common.pools import DEFAULT_POOLS, PoolSpec
from objectio.meta.repair_planner import read_set
from objectio.meta.repair_stripe import rebuild


def measure(pool: PoolSpec, rounds: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    data = rng.randbytes(pool.stripe_data_bytes)
    fragments = encode_stripe(pool, data)
    fragment_bytes = len(fragments[0])
    reads: list[int] = []
    data_reads: list[int] = []
    seconds: list[float] = []
    for lost in range(pool.fragments):
        plan = read_set(pool, {lost}, set(range(pool.fragments)) - {lost})
        assert plan is not None, f"{pool.name}: no read set for fragment {lost}"
        sources = {i: fragments[i] for i in plan}
        for _ in range(rounds):
            started = time.perf_counter()
            rebuilt = rebuild(pool, sources, [lost])
            seconds.append(time.perf_counter() - started)
            if rebuilt[lost] != fragments[lost]:
                raise SystemExit(f"{pool.name}: fragment {lost} rebuilt wrong from {plan}")
        read = sum(len(fragments[i]) for i in plan)
        reads.append(read)
        if lost < pool.k:
            data_reads.append(read)
    return {
        "fragment_bytes": fragment_bytes,
        "mean_read_bytes": statistics.mean(reads),
        "data_read_bytes": statistics.mean(data_reads),
        "max_read_bytes": max(reads),
        "rebuild_ms": 1000 * statistics.mean(seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stripe-unit-bytes", type=int, default=1 << 20)
    parser.add_argument("--rounds", type=int, default=3, help="rebuilds timed per lost index")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print("| pool | fragment | read per repair (mean) | lost data fragment | worst case | reads / fragment | rebuild |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for base in DEFAULT_POOLS:
        pool = PoolSpec(base.name, base.type, base.k, base.m, base.local_groups, args.stripe_unit_bytes)
        r = measure(pool, args.rounds, args.seed)
        mib = 1 << 20
        print(
            f"| {pool.name} | {r['fragment_bytes'] / mib:.2f} MiB | {r['mean_read_bytes'] / mib:.2f} MiB"
            f" | {r['data_read_bytes'] / mib:.2f} MiB | {r['max_read_bytes'] / mib:.2f} MiB"
            f" | {r['mean_read_bytes'] / r['fragment_bytes']:.1f} | {r['rebuild_ms']:.1f} ms |"
        )


if __name__ == "__main__":
    main()
