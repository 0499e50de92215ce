"""Focused A/B benchmark: a few s3bench steps against a fresh all-in-one cluster, repeated.

Starts our all-in-one cluster (6 OSDs, RS 4+2, the same as ``run_suite.py``), runs the chosen
steps ``--rounds`` times (interleaved, so each step sees the same machine conditions over the
run) and prints per-step medians with the load average. Besides ops/s it reports the CPU time
each role (gateway workers, meta, all OSDs) spent per operation, from /proc: on a machine shared
with other work throughput swings with the load, CPU per operation much less. Meant for before/after comparisons of one
change: run it on the old commit and on the new one back to back and compare the medians.
``--hold`` keeps the cluster up after the steps (prints the gateway and OSD pids) so a profiler
such as py-spy can be attached while s3bench runs by hand.

    .venv/bin/python bench/focus.py --steps list,put4k --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from objectio.cli.aio import AllInOne, free_port

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"

# step name -> s3bench arguments (prefix appended per round); sizes and concurrency as run-suite.sh
STEPS: dict[str, list[str]] = {
    "put4k": ["put", "-z", "4KiB", "-c", "32"],
    "get4k": ["get", "-z", "4KiB", "-c", "32", "--objects", "{list_keys}"],
    "list": ["list", "-c", "4", "--objects", "{list_keys}", "--max-keys", "1000"],
    "put1m": ["put", "-z", "1MiB", "-c", "16"],
    "get1m": ["get", "-z", "1MiB", "-c", "16", "--prepare", "256", "--cleanup"],
    "put64m": ["put", "-z", "64MiB", "-c", "4"],
    "get64m": ["get", "-z", "64MiB", "-c", "4", "--prepare", "12", "--cleanup"],
    "mixed64k": ["mixed", "-z", "64KiB", "-c", "32", "--prepare", "1000", "--cleanup"],
}
SHARED_PREFIX = "focus-small/"  # the 4 KiB keys that get4k and list read, prepared once


def s3bench(binary: Path, cluster: AllInOne, args: list[str], prefix: str, duration: str) -> dict[str, float]:
    out = OUT / f"focus-{os.getpid()}.jsonl"
    out.unlink(missing_ok=True)
    creds = cluster.credentials
    argv = [
        str(binary), *args, "-d", duration, "-p", prefix,
        "-e", cluster.endpoint.removeprefix("http://"), "-a", creds.access_key, "-s", creds.secret_key,
        "-b", "focus", "--json", str(out),
    ]  # fmt: skip
    subprocess.run(argv, check=False, stdout=subprocess.DEVNULL)
    lines = out.read_text().splitlines() if out.exists() else []
    out.unlink(missing_ok=True)
    return json.loads(lines[-1]) if lines else {"errors": -1}


def cpu_seconds(cluster: AllInOne) -> dict[str, float]:
    """CPU time (user + system) used so far by each role's processes, gateway workers included."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"gateway": 0.0, "meta": 0.0, "osds": 0.0}
    for name, daemon in cluster.daemons.items():
        if daemon.process is None:
            continue
        pids = [daemon.process.pid, *_children(daemon.process.pid)]
        role = "osds" if name.startswith("osd") else name
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            used[role] += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return used


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def prepare_small(binary: Path, cluster: AllInOne, count: int) -> None:
    args = ["put", "-z", "4KiB", "-c", "32", "-n", str(count)]
    s3bench(binary, cluster, args, SHARED_PREFIX, "600")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="list", help=f"comma list of {', '.join(STEPS)}")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", default="8", help="seconds per step")
    parser.add_argument("--list-keys", type=int, default=10000, help="4 KiB keys prepared for list/get4k")
    parser.add_argument("--hold", action="store_true", help="keep the cluster up at the end until Ctrl-C")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _interrupt)  # `kill PID` stops the cluster and cleans up too
    steps = [s for s in args.steps.split(",") if s]
    binary = OUT / "s3bench"
    if not binary.exists():
        parser.error(f"build s3bench first: {binary} (bench/run_suite.py does)")
    data_dir = Path(tempfile.mkdtemp(prefix="objectio-focus-"))
    cluster = AllInOne(data_dir, port=free_port(), osds=6, disk_size_bytes=8 << 30)
    results: dict[str, list[dict[str, float]]] = {s: [] for s in steps}
    try:
        cluster.start()
        if {"list", "get4k"} & set(steps):
            prepare_small(binary, cluster, args.list_keys)
        for round_index in range(args.rounds):
            for step in steps:
                step_args = [a.replace("{list_keys}", str(args.list_keys)) for a in STEPS[step]]
                prefix = SHARED_PREFIX if step in ("list", "get4k") else f"r{round_index}-{step}/"
                before = cpu_seconds(cluster)
                row = s3bench(binary, cluster, step_args, prefix, args.duration)
                after = cpu_seconds(cluster)
                ops = max(1.0, float(row.get("ops", 0)))
                for role in before:
                    row[f"cpu_ms_{role}"] = (after[role] - before[role]) * 1000 / ops
                results[step].append(row)
                print(
                    f"round {round_index + 1} {step}: {row.get('ops_s', 0):.1f} ops/s "
                    f"{row.get('mib_s', 0):.1f} MiB/s p50 {row.get('p50_ms', 0):.0f} p99 {row.get('p99_ms', 0):.0f} "
                    f"errors {row.get('errors')} load {os.getloadavg()[0]:.1f} "
                    f"cpu ms/op gateway {row['cpu_ms_gateway']:.2f} meta {row['cpu_ms_meta']:.2f} "
                    f"osds {row['cpu_ms_osds']:.2f}",
                    file=sys.stderr,
                )
        if args.hold:
            pids = {name: d.process.pid for name, d in cluster.daemons.items() if d.process is not None}
            print(f"holding: endpoint {cluster.endpoint} creds {cluster.credentials} pids {pids}", file=sys.stderr)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    for step, rows in results.items():
        ok = [r for r in rows if r.get("errors") == 0]
        if not ok:
            print(f"{step}: no error-free run", file=sys.stderr)
            continue
        ops = statistics.median(r["ops_s"] for r in ok)
        mib = statistics.median(r.get("mib_s", 0.0) for r in ok)
        p50 = statistics.median(r["p50_ms"] for r in ok)
        p99 = statistics.median(r["p99_ms"] for r in ok)
        cpu = " ".join(
            f"{role} {statistics.median(r[f'cpu_ms_{role}'] for r in ok):.2f}" for role in ("gateway", "meta", "osds")
        )
        print(
            f"{step}: median {ops:.1f} ops/s {mib:.1f} MiB/s p50 {p50:.0f} ms p99 {p99:.0f} ms; "
            f"cpu ms/op {cpu} ({len(ok)} runs)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
