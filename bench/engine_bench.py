"""Storage engine benchmark: durable puts and gets against fio on the same kind of target.

Not a test.  Run:  python bench/engine_bench.py [--dir DIR] [--seconds S] [--rounds R] [--size-gib G]

Engine jobs (every put is durable when it returns):
  put 4 KiB, 1 writer thread          put 4 KiB, 32 writer threads (group commit)
  put 1 MiB, 8 writer threads         get 1 MiB, 8 reader threads (no cache hit: > 64 KiB)
fio jobs on a file of the same size in the same directory, O_DIRECT:
  4 KiB write + fdatasync per write, QD1          (compare: durable 4 KiB puts)
  1 MiB write + fdatasync per write, 8 jobs       (compare: durable 1 MiB puts, 8 in flight)
  1 MiB sequential write / read, no flush, QD8    (raw ceiling)
Engine and fio get one target file each, same size, same directory, fully written first.
The jobs run in R rounds (engine jobs, then fio jobs) and each figure is the median over the
rounds, so a burst of load from elsewhere on the machine skews one sample, not the table.
Prints a markdown table with the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from objectio.native.engine import Engine

KIB = 1 << 10
MIB = 1 << 20


@dataclass
class Result:
    name: str
    ops_per_s: float
    mb_per_s: float


def make_target(path: Path, size_bytes: int) -> None:
    """A fully written (not sparse) file, like a real device's blocks."""
    chunk = bytes(8 * MIB)
    with open(path, "wb") as f:
        for _ in range(size_bytes // len(chunk)):
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())


def run_threads(threads: int, seconds: float, op: Callable[[int, int], object]) -> int:
    """Call op(thread, i) in `threads` threads for `seconds`; total calls made."""
    counts = [0] * threads
    deadline = time.monotonic() + seconds

    def loop(t: int) -> None:
        i = 0
        while time.monotonic() < deadline:
            op(t, i)
            i += 1
        counts[t] = i

    workers = [threading.Thread(target=loop, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(counts)


def engine_jobs(path: Path, seconds: float) -> list[Result]:
    results: list[Result] = []
    small = os.urandom(4 * KIB)
    big = os.urandom(MIB)
    with Engine.open(str(path), cache_bytes=64 * MIB) as eng:
        # 1 MiB records overwritten in place of each other: a quarter of the device at most
        big_keys = max(1, min(64, eng.stats().capacity_bytes // (4 * 8 * MIB)))
        for t in range(8):  # every key exists before the timed jobs (steady state: overwrites)
            eng.put_many([(b"b/%d/%d" % (t, i), big, b"") for i in range(big_keys)])
        for threads in (1, 32):
            t0 = time.monotonic()
            n = run_threads(threads, seconds, lambda t, i: eng.put(b"s/%d/%d" % (t, i % 2000), small))
            dt = time.monotonic() - t0
            results.append(Result(f"engine put 4 KiB, {threads} writers", n / dt, n * 4 * KIB / dt / 1e6))
        s = eng.stats()
        print(f"  engine: {s.group_commit_records} records in {s.group_commits} group commits so far")
        t0 = time.monotonic()
        n = run_threads(8, seconds, lambda t, i: eng.put(b"b/%d/%d" % (t, i % big_keys), big))
        dt = time.monotonic() - t0
        results.append(Result("engine put 1 MiB, 8 in flight", n / dt, n * MIB / dt / 1e6))
        t0 = time.monotonic()
        n = run_threads(8, seconds, lambda t, i: eng.get(b"b/%d/%d" % (t, i % big_keys)))
        dt = time.monotonic() - t0
        results.append(Result("engine get 1 MiB, 8 in flight", n / dt, n * MIB / dt / 1e6))
    return results


def fio(path: Path, seconds: float, name: str, args: list[str]) -> Result:
    cmd = [
        "fio",
        "--name=job",
        f"--filename={path}",
        "--direct=1",
        "--time_based",
        f"--runtime={seconds}",
        "--group_reporting",
        "--output-format=json",
        *args,
    ]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    job = out["jobs"][0]
    side = job["write"] if job["write"]["io_bytes"] > 0 else job["read"]
    return Result(name, float(side["iops"]), float(side["bw_bytes"]) / 1e6)


def fio_jobs(path: Path, seconds: float, size_bytes: int) -> list[Result]:
    size = f"--size={size_bytes}"
    return [
        fio(
            path,
            seconds,
            "fio 4 KiB write + fdatasync, QD1",
            ["--rw=write", "--bs=4k", "--ioengine=psync", "--fdatasync=1", size],
        ),
        fio(
            path,
            seconds,
            "fio 1 MiB write + fdatasync, 8 jobs",
            [
                "--rw=write",
                "--bs=1M",
                "--ioengine=psync",
                "--fdatasync=1",
                "--numjobs=8",
                f"--size={size_bytes // 8}",
                f"--offset_increment={size_bytes // 8}",
            ],
        ),
        fio(
            path,
            seconds,
            "fio 1 MiB seq write, no flush, QD8",
            ["--rw=write", "--bs=1M", "--ioengine=libaio", "--iodepth=8", size],
        ),
        fio(
            path, seconds, "fio 1 MiB seq read, QD8", ["--rw=read", "--bs=1M", "--ioengine=libaio", "--iodepth=8", size]
        ),
    ]


def median(rs: list[Result]) -> Result:
    by_ops = sorted(rs, key=lambda r: r.ops_per_s)
    return by_ops[len(by_ops) // 2]


def table(results: dict[str, Result]) -> str:
    pairs = [
        ("engine put 4 KiB, 1 writers", "fio 4 KiB write + fdatasync, QD1", "ops"),
        ("engine put 4 KiB, 32 writers", "fio 4 KiB write + fdatasync, QD1", "ops"),
        ("engine put 1 MiB, 8 in flight", "fio 1 MiB write + fdatasync, 8 jobs", "mb"),
        ("engine put 1 MiB, 8 in flight", "fio 1 MiB seq write, no flush, QD8", "mb"),
        ("engine get 1 MiB, 8 in flight", "fio 1 MiB seq read, QD8", "mb"),
    ]
    lines = ["| job | ops/s | MB/s |", "| --- | ---: | ---: |"]
    lines += [f"| {r.name} | {r.ops_per_s:,.0f} | {r.mb_per_s:,.1f} |" for r in results.values()]
    lines += ["", "| engine job | vs fio job | ratio |", "| --- | --- | ---: |"]
    for mine, theirs, unit in pairs:
        a, b = results[mine], results[theirs]
        ratio = a.ops_per_s / b.ops_per_s if unit == "ops" else a.mb_per_s / b.mb_per_s
        lines.append(f"| {mine} | {theirs} | {ratio:.2f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where the target files go")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each job")
    parser.add_argument("--rounds", type=int, default=3, help="repetitions; the table shows medians")
    parser.add_argument("--size-gib", type=float, default=2.0, help="size of each target file")
    args = parser.parse_args()
    if shutil.which("fio") is None:
        raise SystemExit("fio is not installed (apt-get install fio)")
    size = int(args.size_gib * (1 << 30)) // MIB * MIB
    work = Path(tempfile.mkdtemp(prefix="engine-bench-", dir=args.dir))
    samples: dict[str, list[Result]] = {}
    try:
        engine_target, fio_target = work / "engine.img", work / "fio.img"
        print(f"preparing two {size >> 20} MiB targets in {work} ...")
        make_target(engine_target, size)
        make_target(fio_target, size)
        Engine.format(str(engine_target), osd_id=1, cluster_id=str(uuid.uuid4()), force=True)
        for round_no in range(args.rounds):
            print(f"round {round_no + 1}/{args.rounds}")
            for r in engine_jobs(engine_target, args.seconds) + fio_jobs(fio_target, args.seconds, size):
                samples.setdefault(r.name, []).append(r)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results = {name: median(rs) for name, rs in samples.items()}
    load = os.getloadavg()
    print(
        f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n"
    )
    print(table(results))


if __name__ == "__main__":
    main()
