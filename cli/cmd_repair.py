"""``objectio-cli repair status|watch`` and ``scrub start|status``.

Repair runs inside the metadata service (``GetRepairStatus``); scrub runs on every OSD and meta
relays to them (``StartScrub``, ``GetScrubStatus``). ``repair watch`` polls until nothing is
pending, no stripe is degraded, no OSD is lost and no rebalance is active (or Ctrl-C), drawing a
progress bar of the stripes repaired since it started. The status shows the rebalance (fragments
moved toward the current placement after an OSD was added) next to the repair.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from objectio.cli.context import Context
from objectio.cli.output import Result, grid, human_bytes, kv_table
from objectio.protos import meta_pb2

WATCH_INTERVAL_S_DEFAULT = 1.0


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    repair = sub.add_parser("repair", help="repair of degraded stripes and rebalance")
    repair = repair.add_subparsers(dest="action", required=True)
    repair.add_parser("status", parents=[common], help="degraded stripes and repair progress").set_defaults(
        func=repair_status
    )
    watch = repair.add_parser("watch", parents=[common], help="follow repair progress until idle")
    watch.add_argument("--interval", type=float, default=WATCH_INTERVAL_S_DEFAULT, help="seconds between polls")
    watch.add_argument("--max-seconds", type=float, default=0, help="give up after this long (0: never)")
    watch.set_defaults(func=repair_watch)
    scrub = sub.add_parser("scrub", help="background verification of fragments").add_subparsers(
        dest="action", required=True
    )
    scrub.add_parser("start", parents=[common], help="start a scrub pass on every up OSD").set_defaults(
        func=scrub_start
    )
    scrub.add_parser("status", parents=[common], help="verified/corrupt fragments per OSD").set_defaults(
        func=scrub_status
    )


def _repair_view(reply: meta_pb2.RepairStatus) -> dict[str, Any]:
    return {
        "stripes_pending": reply.stripes_pending,
        "stripes_done": reply.stripes_done,
        "stripes_failed": reply.stripes_failed,
        "stripes_dropped": reply.stripes_dropped,
        "fragments_rebuilt": reply.fragments_rebuilt,
        "bytes_read": reply.bytes_read,
        "bytes_written": reply.bytes_written,
        "degraded_stripes": reply.degraded_stripes,
        "lost_osd_ids": list(reply.lost_osd_ids),
        "scans_completed": reply.scans_completed,
        "last_scan_ms": reply.last_scan_ms,
        "bytes_per_second_max": reply.bytes_per_second_max,
        "reports_received": reply.reports_received,
        "rebalance_active": reply.rebalance_active,
        "rebalance_stripes_pending": reply.rebalance_stripes_pending,
        "rebalance_stripes_misplaced": reply.rebalance_stripes_misplaced,
        "rebalance_fragments_moved": reply.rebalance_fragments_moved,
        "rebalance_bytes_moved": reply.rebalance_bytes_moved,
        "rebalance_stripes_failed": reply.rebalance_stripes_failed,
    }


def _repair_rows(d: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        ("pending stripes", d["stripes_pending"]),
        ("degraded stripes", d["degraded_stripes"]),
        ("lost OSDs", ", ".join(map(str, d["lost_osd_ids"])) or "none"),
        ("repaired", f"{d['stripes_done']} stripes, {d['fragments_rebuilt']} fragments"),
        ("failed / dropped", f"{d['stripes_failed']} / {d['stripes_dropped']}"),
        ("read / written", f"{human_bytes(d['bytes_read'])} / {human_bytes(d['bytes_written'])}"),
        ("bandwidth limit", f"{human_bytes(d['bytes_per_second_max'])}/s"),
        ("scans", d["scans_completed"]),
        ("rebalance", "active" if d["rebalance_active"] else "idle"),
        (
            "rebalance moves",
            f"{d['rebalance_stripes_pending']} stripes pending, {d['rebalance_stripes_misplaced']} misplaced at the "
            f"last pass, {d['rebalance_fragments_moved']} fragments ({human_bytes(d['rebalance_bytes_moved'])}) moved, "
            f"{d['rebalance_stripes_failed']} failed",
        ),
    ]


def _fetch(ctx: Context) -> dict[str, Any]:
    return _repair_view(ctx.meta().call("GetRepairStatus", meta_pb2.Empty()))


def repair_status(ctx: Context, args: argparse.Namespace) -> Result:
    data = _fetch(ctx)
    return Result(data, lambda console: console.print(kv_table(_repair_rows(data))))


def _idle(d: dict[str, Any]) -> bool:
    repairing = d["stripes_pending"] or d["degraded_stripes"] or d["lost_osd_ids"]
    return not repairing and not d["rebalance_active"]


def repair_watch(ctx: Context, args: argparse.Namespace) -> Result:
    start = time.monotonic()
    first = data = _fetch(ctx)
    console = Console(stderr=True, highlight=False)
    show = sys.stderr.isatty() and not ctx.as_json
    columns = (TextColumn("repair"), BarColumn(), TextColumn("{task.completed}/{task.total} stripes"))
    with Progress(
        *columns, TextColumn("{task.description}"), TimeElapsedColumn(), console=console, disable=not show
    ) as bar:
        task = bar.add_task("", total=max(1, data["stripes_pending"]))
        idle_polls = 0
        while idle_polls < 2:
            done = data["stripes_done"] - first["stripes_done"]
            note = f"{human_bytes(data['bytes_written'] - first['bytes_written'])} written"
            bar.update(task, completed=done, total=max(done + data["stripes_pending"], 1), description=note)
            if args.max_seconds and time.monotonic() - start > args.max_seconds:
                break
            time.sleep(args.interval)
            data = _fetch(ctx)
            idle_polls = idle_polls + 1 if _idle(data) else 0
    return Result(data, lambda c: c.print(kv_table(_repair_rows(data))))


def _scrub_view(reply: meta_pb2.ScrubStatusReply) -> list[dict[str, Any]]:
    return [
        {
            "osd_id": s.osd_id,
            "reachable": s.reachable,
            "error": s.error,
            "running": s.running,
            "passes_completed": s.passes_completed,
            "shards_verified": s.shards_verified,
            "shards_corrupt": s.shards_corrupt,
            "bytes_verified": s.bytes_verified,
            "quarantined": s.quarantined,
            "pass_started_ms": s.pass_started_ms,
            "pass_finished_ms": s.pass_finished_ms,
        }
        for s in reply.osds
    ]


def _scrub_render(console: Console, rows: list[dict[str, Any]]) -> None:
    columns = ["osd", "state", "passes", "verified", "corrupt", "quarantined", "bytes"]
    table = []
    for r in rows:
        state = ("running" if r["running"] else "idle") if r["reachable"] else f"[red]unreachable[/] {r['error']}"
        table.append(
            [
                r["osd_id"],
                state,
                r["passes_completed"],
                r["shards_verified"],
                r["shards_corrupt"],
                r["quarantined"],
                human_bytes(r["bytes_verified"]),
            ]
        )
    console.print(grid(columns, table, title="scrub (counts since each OSD started)"))


def scrub_start(ctx: Context, args: argparse.Namespace) -> Result:
    rows = _scrub_view(ctx.meta().call("StartScrub", meta_pb2.StartScrubRequest()))
    return Result(rows, lambda console: _scrub_render(console, rows))


def scrub_status(ctx: Context, args: argparse.Namespace) -> Result:
    rows = _scrub_view(ctx.meta().call("GetScrubStatus", meta_pb2.Empty()))
    return Result(rows, lambda console: _scrub_render(console, rows))
