"""``objectio-cli bench``: a quick PUT-then-GET load against the S3 gateway.

Uses boto3 from a pool of threads (one shared client, whose connection pool matches the thread
count), shows a rich progress bar per phase and reports ops/s, MiB/s and latency percentiles.
Meant for a smoke test of a deployment, not as a benchmark methodology (see bench/ for that).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from objectio.cli.context import Context
from objectio.cli.errors import EXIT_FAILED, EXIT_UNREACHABLE, EXIT_USAGE, CliError
from objectio.cli.output import Result, grid, parse_bytes

OBJECTS_MAX = 1_000_000
THREADS_MAX = 256
OBJECT_BYTES_MAX = 1 << 30


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    bench = sub.add_parser("bench", parents=[common], help="quick PUT/GET load against the gateway")
    bench.add_argument("--endpoint", default=None, help="S3 endpoint URL (default: OBJECTIO_ENDPOINT or data dir)")
    bench.add_argument("--bucket", default="", help="existing bucket to use (default: a temporary one)")
    bench.add_argument("--objects", type=int, default=200, help="objects to PUT and then GET")
    bench.add_argument("--size", default="64KiB", help="object size (e.g. 4096, 64KiB, 4MiB)")
    bench.add_argument("--threads", type=int, default=8, help="concurrent requests")
    bench.add_argument("--keep", action="store_true", help="leave the objects (and temporary bucket) behind")
    bench.set_defaults(func=bench_run)


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def _s3(ctx: Context, threads: int) -> Any:
    import boto3
    from botocore.config import Config

    target = ctx.target()
    if not target.endpoint:
        raise CliError("no S3 endpoint: use --endpoint URL or OBJECTIO_ENDPOINT", EXIT_USAGE)
    if not target.access_key or not target.secret_key:
        raise CliError("no S3 credentials: set OBJECTIO_ACCESS_KEY and OBJECTIO_SECRET_KEY", EXIT_USAGE)
    config = Config(
        max_pool_connections=threads,
        retries={"max_attempts": 1, "mode": "standard"},
        s3={"addressing_style": "path"},
        connect_timeout=5,
        read_timeout=60,
    )
    return boto3.client(
        "s3",
        endpoint_url=target.endpoint,
        verify=target.s3_ca_file or None,
        aws_access_key_id=target.access_key,
        aws_secret_access_key=target.secret_key,
        region_name="us-east-1",
        config=config,
    )


def _phase(
    name: str, keys: list[str], threads: int, work: Callable[[str], None], progress: Progress | None
) -> dict[str, Any]:
    task = progress.add_task(name, total=len(keys)) if progress is not None else None
    latencies: list[float] = []
    errors: list[str] = []

    def timed(key: str) -> float:
        start = time.perf_counter()
        work(key)
        return time.perf_counter() - start

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(timed, key) for key in keys]
        for future in as_completed(futures):
            try:
                latencies.append(future.result())
            except Exception as exc:  # boto3/botocore raise many types; each one is one failed op
                errors.append(f"{type(exc).__name__}: {exc}")
            if progress is not None and task is not None:
                progress.advance(task)
    elapsed = max(time.perf_counter() - started, 1e-9)
    latencies.sort()
    return {
        "op": name,
        "ops": len(latencies),
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "seconds": round(elapsed, 3),
        "ops_per_second": round(len(latencies) / elapsed, 1),
        "latency_p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "latency_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
    }


def bench_run(ctx: Context, args: argparse.Namespace) -> Result:
    try:
        size = parse_bytes(args.size)
    except ValueError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    if not 1 <= args.objects <= OBJECTS_MAX or not 1 <= args.threads <= THREADS_MAX or size > OBJECT_BYTES_MAX:
        raise CliError(
            f"--objects must be in [1, {OBJECTS_MAX}], --threads in [1, {THREADS_MAX}], --size <= 1 GiB", EXIT_USAGE
        )
    s3 = _s3(ctx, args.threads)
    bucket = args.bucket or f"objectio-bench-{secrets.token_hex(4)}"
    temporary = not args.bucket
    body = os.urandom(size)
    keys = [f"bench/{i:08d}" for i in range(args.objects)]
    try:
        if temporary:
            s3.create_bucket(Bucket=bucket)
    except Exception as exc:
        raise CliError(f"cannot create bucket {bucket} at {ctx.target().endpoint}: {exc}", EXIT_UNREACHABLE) from None

    def put(key: str) -> None:
        s3.put_object(Bucket=bucket, Key=key, Body=body)

    def get(key: str) -> None:
        data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        if len(data) != size:
            raise ValueError(f"{key}: got {len(data)} bytes, expected {size}")

    progress = None if ctx.as_json else Progress(
        TextColumn("{task.description:>4}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=False,
    )  # fmt: skip
    try:
        if progress is not None:
            progress.start()
        phases = [_phase("PUT", keys, args.threads, put, progress), _phase("GET", keys, args.threads, get, progress)]
    finally:
        if progress is not None:
            progress.stop()
        if not args.keep:
            _cleanup(s3, bucket, keys, temporary)
    for phase in phases:
        phase["mib_per_second"] = round(phase["ops_per_second"] * size / (1 << 20), 2)
    data = {"endpoint": ctx.target().endpoint, "bucket": bucket, "object_bytes": size, "threads": args.threads,
            "objects": args.objects, "phases": phases}  # fmt: skip
    failed = sum(p["errors"] for p in phases)

    def render(console: Console) -> None:
        columns = ["op", "ops", "errors", "ops/s", "MiB/s", "p50 ms", "p99 ms"]
        rows = [
            (p["op"], p["ops"], p["errors"], p["ops_per_second"], p["mib_per_second"], p["latency_p50_ms"],
             p["latency_p99_ms"])
            for p in phases
        ]  # fmt: skip
        console.print(grid(columns, rows, title=f"{args.objects} x {size} B, {args.threads} threads"))
        for p in phases:
            if p["first_error"]:
                console.print(f"[red]{p['op']}: {p['errors']} failed, first: {p['first_error']}[/]")

    return Result(data, render, exit_code=EXIT_FAILED if failed else 0)


def _cleanup(s3: Any, bucket: str, keys: list[str], temporary: bool) -> None:
    for start in range(0, len(keys), 1000):
        chunk = [{"Key": k} for k in keys[start : start + 1000]]
        try:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
        except Exception:  # best effort: fall back to single deletes (DeleteObjects may be missing)
            for item in chunk:
                try:
                    s3.delete_object(Bucket=bucket, Key=item["Key"])
                except Exception:
                    break
    if temporary:
        with contextlib.suppress(Exception):
            s3.delete_bucket(Bucket=bucket)
