"""``objectio-cli status``: the cluster at a glance."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from objectio.cli.context import Context
from objectio.cli.output import Result, human_bytes, kv_table
from objectio.cli.views import osd_view, pool_view


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    text = "OSDs, capacity, pools, buckets, objects, degraded stripes"
    parser = sub.add_parser("status", parents=[common], help=text)
    parser.set_defaults(func=status)


def status(ctx: Context, args: argparse.Namespace) -> Result:
    meta = ctx.meta()
    reply = meta.status()
    unreachable = [*meta.instances.left, *((a, why) for a, why in meta.instances.probe_rest() if why)]
    osds = [osd_view(osd) for osd in reply.map.osds]
    data: dict[str, Any] = {
        "cluster_id": reply.map.cluster_id,
        "epoch": reply.map.epoch,
        "meta_address": meta.instances.address,  # the instance that answered
        "meta_addresses": list(ctx.target().meta_addresses),
        "meta_unreachable": [f"{address}: {why}" for address, why in unreachable],
        "osds_total": len(osds),
        "osds_up": sum(1 for o in osds if o["up"]),
        "osds_in": sum(1 for o in osds if o["in"]),
        "osds_down": [o["id"] for o in osds if not o["up"]],
        "capacity_bytes": reply.capacity_bytes,
        "used_bytes": reply.used_bytes,
        "free_bytes": max(0, reply.capacity_bytes - reply.used_bytes),
        "pools": [pool_view(p, reply.map.default_pool) for p in reply.map.pools],
        "default_pool": reply.map.default_pool,
        "bucket_count": reply.bucket_count,
        "object_count": reply.object_count,
        "degraded_stripes": reply.degraded_stripes,
    }
    return Result(data, lambda console: _render(console, data))


def _render(console: Console, d: dict[str, Any]) -> None:
    used_pct = 100 * d["used_bytes"] / d["capacity_bytes"] if d["capacity_bytes"] else 0.0
    health = "[green]HEALTHY[/]"
    if d["osds_down"] or d["degraded_stripes"] or d["meta_unreachable"]:
        health = "[yellow]DEGRADED[/]"
    down = ", ".join(str(i) for i in d["osds_down"]) or "none"
    meta = d["meta_address"]
    if d["meta_unreachable"]:
        meta += f"; unreachable: {', '.join(d['meta_unreachable'])}"
    rows = [
        ("health", health),
        ("cluster", f"{d['cluster_id']} (map epoch {d['epoch']}, meta {meta})"),
        ("osds", f"{d['osds_total']} total, {d['osds_up']} up, {d['osds_in']} in (down: {down})"),
        (
            "capacity",
            f"{human_bytes(d['used_bytes'])} used of {human_bytes(d['capacity_bytes'])} "
            f"({used_pct:.1f} %), {human_bytes(d['free_bytes'])} free",
        ),
        ("pools", ", ".join(p["name"] + (" (default)" if p["default"] else "") for p in d["pools"]) or "none"),
        ("buckets", d["bucket_count"]),
        ("objects", d["object_count"]),
        ("degraded stripes", d["degraded_stripes"]),
    ]
    console.print(kv_table(rows))
