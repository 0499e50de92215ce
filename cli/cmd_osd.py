"""``objectio-cli osd list|show|out|in|drain|remove``: the OSDs in the cluster map.

``out`` keeps an OSD serving reads but takes it out of placement for new objects; ``in`` undoes
it. ``drain`` marks the OSD out and waits while meta's repair manager rebuilds every fragment it
holds elsewhere: it is drained once a full repair scan that began after the OSD went out found
nothing left to move *and* meta confirms no record references it (``SetOsdState`` with
``remove`` + ``check_only``). ``remove`` then forgets it.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from objectio.cli.context import Context
from objectio.cli.errors import EXIT_FAILED, CliError
from objectio.cli.output import Result, grid, human_bytes, kv_table
from objectio.cli.views import osd_view
from objectio.protos import meta_pb2


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    osd = sub.add_parser("osd", help="list and manage OSDs").add_subparsers(dest="action", required=True)
    osd.add_parser("list", parents=[common], help="every OSD with state and capacity").set_defaults(func=osd_list)
    for name, func, text in (
        ("show", osd_show, "one OSD in detail"),
        ("out", osd_out, "stop placing new fragments on an OSD (it still serves reads)"),
        ("in", osd_in, "put an OSD back into placement"),
        ("drain", osd_drain, "mark an OSD out and wait until repair has moved every fragment off it"),
        ("remove", osd_remove, "forget an OSD that is out and holds no referenced fragments"),
    ):
        parser = osd.add_parser(name, parents=[common], help=text)
        parser.add_argument("osd_id", type=int, metavar="ID")
        parser.set_defaults(func=func)
        if name == "drain":
            parser.add_argument("--max-seconds", type=float, default=0, help="give up after this long (0: never)")
            parser.add_argument("--interval", type=float, default=1.0, help="seconds between progress polls")


def _find(ctx: Context, osd_id: int) -> meta_pb2.Osd:
    for osd in ctx.meta().cluster_map().osds:
        if osd.id == osd_id:
            found: meta_pb2.Osd = osd
            return found
    raise CliError(f"osd {osd_id} does not exist", EXIT_FAILED)


def osd_list(ctx: Context, args: argparse.Namespace) -> Result:
    osds = [osd_view(o) for o in sorted(ctx.meta().cluster_map().osds, key=lambda o: o.id)]

    def render(console: Console) -> None:
        rows = [
            (
                o["id"],
                o["host"],
                o["address"],
                o["disk"],
                "[green]up[/]" if o["up"] else "[red]down[/]",
                "in" if o["in"] else "[yellow]out[/]",
                human_bytes(o["used_bytes"]),
                human_bytes(o["capacity_bytes"]),
                (f"{100 * o['used_bytes'] / o['capacity_bytes']:.1f} %" if o["capacity_bytes"] else "-")
                + (" [red]full[/]" if o["full"] else ""),
            )
            for o in osds
        ]
        console.print(grid(["id", "host", "address", "disk", "up", "in", "used", "capacity", "use"], rows))

    return Result(osds, render)


def osd_show(ctx: Context, args: argparse.Namespace) -> Result:
    view = osd_view(_find(ctx, args.osd_id))
    return Result(view, lambda console: console.print(kv_table(view.items(), title=f"osd {args.osd_id}")))


def _set_state(ctx: Context, osd_id: int, verb: str, **flags: bool) -> Result:
    _find(ctx, osd_id)  # a clear "does not exist" before asking for a change
    cmap: meta_pb2.ClusterMap = ctx.meta().call("SetOsdState", meta_pb2.SetOsdStateRequest(osd_id=osd_id, **flags))
    data = {"osd_id": osd_id, "action": verb, "epoch": cmap.epoch}
    return Result(data, lambda console: console.print(f"osd {osd_id} {verb} (map epoch {cmap.epoch})"))


def osd_out(ctx: Context, args: argparse.Namespace) -> Result:
    return _set_state(ctx, args.osd_id, "marked out", set_out=True)


def osd_in(ctx: Context, args: argparse.Namespace) -> Result:
    return _set_state(ctx, args.osd_id, "marked in", set_in=True)


def osd_remove(ctx: Context, args: argparse.Namespace) -> Result:
    return _set_state(ctx, args.osd_id, "removed", remove=True)


def _repair_status(ctx: Context) -> meta_pb2.RepairStatus:
    status: meta_pb2.RepairStatus = ctx.meta().call("GetRepairStatus", meta_pb2.Empty())
    return status


def _unreferenced(ctx: Context, osd_id: int) -> bool:
    """Meta's own check that no object record (or multipart part) still places a fragment there."""
    try:
        ctx.meta().call("SetOsdState", meta_pb2.SetOsdStateRequest(osd_id=osd_id, remove=True, check_only=True))
    except CliError as exc:
        if exc.exit_code != EXIT_FAILED:  # unreachable, bad token: not an answer about the OSD
            raise
        return False
    return True


def osd_drain(ctx: Context, args: argparse.Namespace) -> Result:
    _set_state(ctx, args.osd_id, "marked out", set_out=True)
    start = time.monotonic()
    first = _repair_status(ctx)
    show = sys.stderr.isatty() and not ctx.as_json
    console = Console(stderr=True, highlight=False)
    quiet_scans = 0  # full scans begun after the OSD went out that found nothing to move
    last = first
    with Progress(
        TextColumn(f"drain osd {args.osd_id}"), BarColumn(), TextColumn("{task.description}"),
        TimeElapsedColumn(), console=console, disable=not show,
    ) as bar:  # fmt: skip
        task = bar.add_task("", total=None)
        while quiet_scans < 1:
            if args.max_seconds and time.monotonic() - start > args.max_seconds:
                raise CliError(f"osd {args.osd_id} not drained after {args.max_seconds:.0f} s", EXIT_FAILED)
            time.sleep(args.interval)
            now = _repair_status(ctx)
            moved = now.stripes_done - first.stripes_done
            bar.update(task, description=f"{moved} stripes moved, {now.stripes_pending} pending")
            scans_since_out = now.scans_completed - first.scans_completed
            if now.scans_completed > last.scans_completed and scans_since_out >= 2:
                idle = now.stripes_done == last.stripes_done and not now.stripes_pending
                quiet_scans = quiet_scans + 1 if idle and _unreferenced(ctx, args.osd_id) else 0
            if now.scans_completed > last.scans_completed:
                last = now
    data = {"osd_id": args.osd_id, "action": "drained", "stripes_moved": last.stripes_done - first.stripes_done}
    return Result(
        data,
        lambda c: c.print(
            f"osd {args.osd_id} drained ({data['stripes_moved']} stripes moved); 'osd remove' forgets it"
        ),
    )
