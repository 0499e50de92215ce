"""Side-by-side S3 benchmark: ObjectIO's all-in-one cluster against Ceph RGW and OpenStack Swift.

Builds the neutral load generator from ``../shared/bench`` (s3bench), starts our all-in-one
cluster (RS 4+2 default pool, 6 OSDs, durable writes), and runs the standard suite
(``run-suite.sh``) against it. With ``--peers ceph,swift`` it also brings up the peers with the
scripts in ``../shared/peers`` and runs the same suite against each, interleaved round by round,
so all systems see the same machine conditions. Prints a table of medians and ratios (ours/peer)
and, with ``--write-doc``, replaces the "S3 suite" section of docs/benchmarks.md.

    .venv/bin/python bench/run_suite.py --rounds 3 --peers ceph,swift --write-doc
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
import time
from pathlib import Path

from objectio.cli.aio import AllInOne, free_port

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
OUT = ROOT / "bench" / "out"
PEERS = {
    "ceph": {"script": "ceph-rgw.sh", "endpoint": "127.0.0.1:7480", "access": "peerkey", "secret": "peersecret123"},
    "swift": {"script": "swift.sh", "endpoint": "127.0.0.1:8081", "access": "test:tester", "secret": "testing"},
}
STEPS = ["put 4KiB", "get 4KiB", "list -", "put 1MiB", "get 1MiB", "put 64MiB", "get 64MiB", "mixed 64KiB"]


def build_s3bench() -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    binary = OUT / "s3bench"
    source = SHARED / "bench" / "s3bench.c"
    if binary.exists() and binary.stat().st_mtime > source.stat().st_mtime:
        return binary
    flags = subprocess.run(
        ["pkg-config", "--cflags", "--libs", "libcurl"], capture_output=True, text=True
    ).stdout.split()
    subprocess.run(["cc", "-O2", "-o", str(binary), str(source), *(flags or ["-lcurl"]), "-lm"], check=True)
    return binary


def run_suite(binary: Path, label: str, endpoint: str, access: str, secret: str, env_extra: dict[str, str]) -> Path:
    out = OUT / f"s3bench-{label}-{time.strftime('%Y%m%dT%H%M%S')}.jsonl"
    env = dict(os.environ, S3BENCH=str(binary), OUT=str(out), **env_extra)
    subprocess.run(
        ["bash", str(SHARED / "bench" / "run-suite.sh"), endpoint, access, secret, label], env=env, check=False
    )
    return out


def load(path: Path) -> dict[str, dict[str, float]]:
    rows: dict[str, dict[str, float]] = {}
    if not path.exists():
        return rows
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        size = row.get("size_h") if row["workload"] != "list" else "-"
        rows[f"{row['workload']} {size}"] = row
    return rows


def median_of(runs: list[dict[str, dict[str, float]]], step: str, field: str) -> float | None:
    values = [float(run[step][field]) for run in runs if step in run and run[step].get("errors", 1) == 0]
    return statistics.median(values) if values else None


def table(results: dict[str, list[dict[str, dict[str, float]]]]) -> str:
    systems = list(results)
    head = "| step | " + " | ".join(f"{s} ops/s | {s} MiB/s | {s} p50/p99 ms" for s in systems)
    peers = [s for s in systems if s != "objectio"]
    head += "".join(f" | ours/{p}" for p in peers) + " |"
    lines = [head, "|" + " --- |" * (1 + 3 * len(systems) + len(peers))]
    for step in STEPS:
        cells = [step]
        for system in systems:
            ops = median_of(results[system], step, "ops_s")
            mib = median_of(results[system], step, "mib_s")
            p50 = median_of(results[system], step, "p50_ms")
            p99 = median_of(results[system], step, "p99_ms")
            cells += [
                f"{ops:.1f}" if ops is not None else "error",
                f"{mib:.1f}" if mib else "-",
                f"{p50:.0f}/{p99:.0f}" if p50 is not None and p99 is not None else "-",
            ]
        ours = median_of(results["objectio"], step, "ops_s")
        for peer in peers:
            theirs = median_of(results[peer], step, "ops_s")
            cells.append(f"{ours / theirs:.2f}x" if ours and theirs else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_doc(text: str, rounds: int, systems: list[str]) -> None:
    doc = ROOT / "docs" / "benchmarks.md"
    body = doc.read_text() if doc.exists() else "# Benchmarks\n"
    start, end = "<!-- s3-suite:start -->", "<!-- s3-suite:end -->"
    load1, load5, _ = os.getloadavg()
    section = (
        f"{start}\n## S3 suite (s3bench standard suite)\n\n"
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {rounds} round(s) "
        f"interleaved over {', '.join(systems)}; "
        f"medians of error-free runs; load average at the end {load1:.1f} / {load5:.1f} (2 cores).\n\n{text}\n{end}"
    )
    if start in body:
        body = body[: body.index(start)] + section + body[body.index(end) + len(end) :]
    else:
        body = body.rstrip() + "\n\n" + section + "\n"
    doc.write_text(body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--peers", default="", help="comma list of ceph, swift")
    parser.add_argument("--duration", default="10", help="seconds per step (run-suite DURATION)")
    parser.add_argument("--write-doc", action="store_true")
    args = parser.parse_args()
    peers = [p for p in args.peers.split(",") if p]
    binary = build_s3bench()
    env_extra = {"DURATION": args.duration}
    results: dict[str, list[dict[str, dict[str, float]]]] = {"objectio": [], **{p: [] for p in peers}}
    data_dir = Path(tempfile.mkdtemp(prefix="objectio-bench-"))
    cluster = AllInOne(data_dir, port=free_port(), osds=6, disk_size_bytes=16 << 30)
    try:
        for peer in peers:
            subprocess.run(["bash", str(SHARED / "peers" / PEERS[peer]["script"]), "up"], check=True)
        cluster.start()
        for round_index in range(args.rounds):
            print(f"== round {round_index + 1}/{args.rounds}", file=sys.stderr)
            creds = cluster.credentials
            results["objectio"].append(
                load(
                    run_suite(
                        binary,
                        "objectio",
                        cluster.endpoint.removeprefix("http://"),
                        creds.access_key,
                        creds.secret_key,
                        env_extra,
                    )
                )
            )
            for peer in peers:
                info = PEERS[peer]
                results[peer].append(
                    load(run_suite(binary, peer, info["endpoint"], info["access"], info["secret"], env_extra))
                )
    finally:
        cluster.stop()
        for peer in peers:
            subprocess.run(["bash", str(SHARED / "peers" / PEERS[peer]["script"]), "down"], check=False)
        shutil.rmtree(data_dir, ignore_errors=True)
    text = table(results)
    print(text)
    if args.write_doc:
        write_doc(text, args.rounds, list(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
