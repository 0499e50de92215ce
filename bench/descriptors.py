"""Cost of self-describing shards: small PUTs with descriptor copies on and off, back to back.

Starts the all-in-one cluster (6 OSDs, RS 4+2) with ``OBJECTIO_DATAPATH_OBJECT_DESCRIPTORS``
false, then true, alternating ``--rounds`` times (the machine is shared and noisy: alternating
spreads the noise over both), and runs s3bench PUT at c=32 for 4 KiB (inline objects: the copies
are the only OSD writes) and 64 KiB (one stripe: the copies join the fragments' batches). Prints
a markdown table of the median ops/s and p50/p99 per setting.

    .venv/bin/python bench/descriptors.py --seconds 8 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from objectio.cli.aio import AllInOne, free_port

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_suite import build_s3bench

SIZES = ["4KiB", "64KiB"]


def measure(binary: Path, descriptors: bool, seconds: int, copies: int) -> dict[str, dict[str, float]]:
    data_dir = Path(tempfile.mkdtemp(prefix="objectio-desc-"))
    env = {
        "OBJECTIO_DATAPATH_OBJECT_DESCRIPTORS": "true" if descriptors else "false",
        "OBJECTIO_DATAPATH_DESCRIPTOR_COPIES": str(copies),
    }
    cluster = AllInOne(data_dir, port=free_port(), osds=6, disk_size_bytes=4 << 30, extra_env=env)
    rows: dict[str, dict[str, float]] = {}
    try:
        cluster.start()
        creds = cluster.credentials
        endpoint = cluster.endpoint.removeprefix("http://")
        common = ["-e", endpoint, "-a", creds.access_key, "-s", creds.secret_key, "-b", "desc", "-d", str(seconds)]
        for size in SIZES:
            out = subprocess.run(
                [str(binary), "put", *common, "-z", size, "-c", "32", "-p", f"put-{size}/"],
                capture_output=True,
                text=True,
                check=False,
            )
            rows[size] = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        cluster.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--copies", type=int, default=0, help="datapath.descriptor_copies (0: pool default)")
    args = parser.parse_args()
    binary = build_s3bench()
    runs: dict[bool, list[dict[str, dict[str, float]]]] = {False: [], True: []}
    for _ in range(args.rounds):
        for setting in (False, True):
            runs[setting].append(measure(binary, setting, args.seconds, args.copies))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, copies={args.copies or 'default'}")
    print("| PUT (c=32) | descriptors | ops/s (median of runs) | p50/p99 ms | runs ops/s |")
    print("| --- | --- | --- | --- | --- |")
    for size in SIZES:
        for setting in (False, True):
            rows = [run[size] for run in runs[setting]]
            ops = [row["ops_s"] for row in rows]
            p50 = statistics.median(row["p50_ms"] for row in rows)
            p99 = statistics.median(row["p99_ms"] for row in rows)
            label = "on" if setting else "off"
            listed = ", ".join(f"{o:.0f}" for o in ops)
            print(f"| {size} | {label} | {statistics.median(ops):.0f} | {p50:.1f}/{p99:.1f} | {listed} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
