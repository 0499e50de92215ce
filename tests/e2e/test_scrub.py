"""Probe test of scrub: fragments corrupted on disk (bytes flipped inside the OSDs' disk images
while they are stopped) are all found by a scrub pass, quarantined, reported, and rebuilt on
other OSDs by the repair manager; GETs return the right bytes before, during and after.

Reproduce: ``pytest tests/e2e/test_scrub.py -q`` (logs under the test's tmp_path/aio/logs).
"""

from __future__ import annotations

import mmap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from objectio.cli.aio import AllInOne
from objectio.common.erasure import payload_bytes
from objectio.common.pools import DEFAULT_POOLS
from tests.cli.conftest import run_cli
from tests.e2e.conftest import s3_client
from tests.e2e.repair_cluster import (
    body_of,
    osd_ids_by_daemon,
    records,
    start_repair_cluster,
    unhealthy_stripes,
    wait_until,
)

pytestmark = pytest.mark.e2e

POOL = DEFAULT_POOLS[0]  # rs-4-2, the default pool
NEEDLE_BYTES = 64
NEEDLE_OFFSET = 5000  # inside the fragment's payload, away from any header


@pytest.fixture()
def scrub_cluster(tmp_path: Path) -> Iterator[AllInOne]:
    # A long repair grace: the OSDs stopped to corrupt their disks must not count as lost (their
    # fragments would be rebuilt elsewhere before scrub could find anything).
    cluster = start_repair_cluster(tmp_path / "aio", osds=8, env={"OBJECTIO_META_REPAIR_GRACE_MS": "120000"})
    yield cluster
    cluster.stop()


def _flip(image: Path, needle: bytes) -> int:
    """Invert the bytes of every occurrence of ``needle`` in the image; returns how many."""
    found = 0
    with open(image, "r+b") as handle, mmap.mmap(handle.fileno(), 0) as data:
        at = data.find(needle)
        while at >= 0:
            data[at : at + len(needle)] = bytes(b ^ 0xFF for b in needle)
            found += 1
            at = data.find(needle, at + 1)
        data.flush()
    return found


def test_scrub_finds_every_corrupt_fragment_and_repair_replaces_it(scrub_cluster: AllInOne) -> None:
    s3: Any = s3_client(scrub_cluster)
    s3.create_bucket(Bucket="scrub")
    objects = {f"s-{i}": body_of(f"s-{i}", size) for i, size in enumerate([1 << 20, 2 << 20, 9 * (1 << 20) + 1])}
    for key, body in objects.items():
        s3.put_object(Bucket="scrub", Key=key, Body=body)
    recs = records(scrub_cluster, "scrub", list(objects))
    names = {osd_id: name for name, osd_id in osd_ids_by_daemon(scrub_cluster).items()}

    # (key, stripe, data fragment) to corrupt: one per object, plus a second stripe of the big one
    targets = [("s-0", 0, 0), ("s-1", 0, 1), ("s-2", 1, 2), ("s-2", 2, 3)]
    victims: dict[str, list[tuple[str, int, int, bytes]]] = {}
    for key, stripe, fragment in targets:
        payload = payload_bytes(POOL, recs[key].stripes[stripe].length)  # systematic: data fragment i
        start = stripe * POOL.stripe_data_bytes + fragment * payload + NEEDLE_OFFSET
        needle = objects[key][start : start + NEEDLE_BYTES]
        osd_id = recs[key].stripes[stripe].osd_ids[fragment]
        victims.setdefault(names[osd_id], []).append((key, stripe, fragment, needle))
    for daemon, items in victims.items():
        scrub_cluster.daemons[daemon].stop()
        image = scrub_cluster.data_dir / "disks" / f"{daemon}.img"
        for key, stripe, fragment, needle in items:
            assert _flip(image, needle) == 1, f"{key} stripe {stripe} fragment {fragment}: payload not found once"
        scrub_cluster.daemons[daemon].start()
        scrub_cluster.daemons[daemon].wait_ready()

    def not_moved(keys: set[str]) -> Callable[[], list[str]]:
        def check() -> list[str]:
            now = records(scrub_cluster, "scrub", list(objects))
            bad = unhealthy_stripes({k: now[k] for k in keys}, set())
            for key, stripe, fragment in targets:
                old = recs[key].stripes[stripe].osd_ids[fragment]
                if key in keys and now[key].stripes[stripe].osd_ids[fragment] == old:
                    bad.append(f"{key}#{stripe}/{fragment} still on the corrupt copy")
            return bad

        return check

    # Read-repair: reading s-0 and s-1 meets their corrupt fragments (the engine refuses them, the
    # gateway decodes and reports), and meta rebuilds them elsewhere without any scrub.
    for key in ("s-0", "s-1"):
        assert s3.get_object(Bucket="scrub", Key=key)["Body"].read() == objects[key], f"{key} with a corrupt fragment"
    wait_until("read-repair of s-0 and s-1", not_moved({"s-0", "s-1"}), 60)

    # Scrub finds all four (the two read-repaired copies are still on disk, quarantined now); its
    # report is the only thing that can move s-2's fragments, which nobody has read.
    d = scrub_cluster.data_dir
    started = time.time() * 1000
    run_cli(d, "scrub", "start", "--json")

    def scrub_unfinished() -> list[str]:
        rows = run_cli(d, "scrub", "status", "--json").data
        return [f"osd {r['osd_id']}" for r in rows if r["pass_finished_ms"] < started or r["running"]]

    wait_until("a scrub pass on every OSD", scrub_unfinished, 60)
    rows = run_cli(d, "scrub", "status", "--json").data
    assert sum(r["shards_corrupt"] for r in rows) == len(targets), rows
    assert sum(r["quarantined"] for r in rows) == len(targets), rows
    wait_until("corrupt fragments found by scrub rebuilt elsewhere", not_moved(set(objects)), 60)
    for key, body in objects.items():
        assert s3.get_object(Bucket="scrub", Key=key)["Body"].read() == body, f"{key} after repair"
    status = run_cli(d, "repair", "status", "--json").data
    assert status["degraded_stripes"] == 0 and status["fragments_rebuilt"] >= len(targets), status
