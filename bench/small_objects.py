"""Small-object layout: inline-in-metadata against erasure-coded fragments, measured.

Starts the all-in-one cluster twice — once with the default inline threshold (16 KiB), once with
inlining off (``OBJECTIO_DATAPATH_INLINE_OBJECT_BYTES_MAX=0``, so every object is RS 4+2
fragments on six OSDs) — and runs the neutral s3bench PUT and GET at 4 KiB and 16 KiB, c=32,
against each. Prints a markdown table and, with ``--write-doc``, replaces the "Small-object
layout" section of docs/benchmarks.md.

    .venv/bin/python bench/small_objects.py --seconds 10 --write-doc
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from objectio.cli.aio import AllInOne, free_port

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_suite import ROOT, build_s3bench

SIZES = ["4KiB", "16KiB"]


def measure(binary: Path, cluster: AllInOne, seconds: int) -> dict[str, dict[str, float]]:
    creds = cluster.credentials
    endpoint = cluster.endpoint.removeprefix("http://")
    common = ["-e", endpoint, "-a", creds.access_key, "-s", creds.secret_key, "-b", "small", "-d", str(seconds)]
    rows: dict[str, dict[str, float]] = {}
    for size in SIZES:
        for workload, extra in (("put", ["-p", f"put-{size}/"]), ("get", ["-p", f"put-{size}/", "--objects", "500"])):
            out = subprocess.run(
                [str(binary), workload, *common, "-z", size, "-c", "32", *extra],
                capture_output=True,
                text=True,
                check=False,
            )
            rows[f"{workload} {size}"] = json.loads(out.stdout.strip().splitlines()[-1])
    return rows


def run(binary: Path, inline_max: int, seconds: int) -> dict[str, dict[str, float]]:
    data_dir = Path(tempfile.mkdtemp(prefix="objectio-small-"))
    env = {"OBJECTIO_DATAPATH_INLINE_OBJECT_BYTES_MAX": str(inline_max)}
    cluster = AllInOne(data_dir, port=free_port(), osds=6, disk_size_bytes=4 << 30, extra_env=env)
    try:
        cluster.start()
        return measure(binary, cluster, seconds)
    finally:
        cluster.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--write-doc", action="store_true")
    args = parser.parse_args()
    binary = build_s3bench()
    inline = run(binary, 16 << 10, args.seconds)
    coded = run(binary, 0, args.seconds)
    lines = [
        "| workload (c=32) | inline ops/s | inline p50/p99 ms | EC 4+2 ops/s | EC 4+2 p50/p99 ms | inline/EC |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for step in inline:
        a, b = inline[step], coded[step]
        ratio = a["ops_s"] / b["ops_s"] if b["ops_s"] else float("inf")
        lines.append(
            f"| {step} | {a['ops_s']:.0f} | {a['p50_ms']:.0f}/{a['p99_ms']:.0f} | {b['ops_s']:.0f} | "
            f"{b['p50_ms']:.0f}/{b['p99_ms']:.0f} | {ratio:.2f}x |"
        )
    table = "\n".join(lines)
    print(table)
    if args.write_doc:
        doc = ROOT / "docs" / "benchmarks.md"
        body = doc.read_text() if doc.exists() else "# Benchmarks\n"
        start, end = "<!-- small-objects:start -->", "<!-- small-objects:end -->"
        load1, _, _ = os.getloadavg()
        section = (
            f"{start}\n## Small-object layout (inline in metadata vs RS 4+2 fragments)\n\n"
            f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {args.seconds} s per step, s3bench, "
            f"load average {load1:.1f} on 2 cores. Every PUT is durable before it is acknowledged in both "
            f"layouts (meta's group commit / the OSDs' group commit).\n\n{table}\n{end}"
        )
        if start in body:
            body = body[: body.index(start)] + section + body[body.index(end) + len(end) :]
        else:
            body = body.rstrip() + "\n\n" + section + "\n"
        doc.write_text(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
