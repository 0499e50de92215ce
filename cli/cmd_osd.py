"""``objectio-cli osd list|show|out|in|drain|remove``: the OSDs in the cluster map.

``out`` keeps an OSD serving reads but takes it out of placement for new objects; ``in`` undoes
it. ``remove`` forgets an OSD the metadata service no longer references. ``drain`` (move every
fragment elsewhere) needs a rebalancer the metadata service does not have yet: it says so.
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from objectio.cli.context import Context
from objectio.cli.errors import EXIT_FAILED, CliError, NotAvailable
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
        ("drain", osd_drain, "move every fragment off an OSD (not supported yet)"),
        ("remove", osd_remove, "forget an OSD that is out and holds no referenced fragments"),
    ):
        parser = osd.add_parser(name, parents=[common], help=text)
        parser.add_argument("osd_id", type=int, metavar="ID")
        parser.set_defaults(func=func)


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
                f"{100 * o['used_bytes'] / o['capacity_bytes']:.1f} %" if o["capacity_bytes"] else "-",
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


def osd_drain(ctx: Context, args: argparse.Namespace) -> Result:
    _find(ctx, args.osd_id)
    raise NotAvailable(
        f"osd drain {args.osd_id}",
        "the metadata service cannot migrate fragments yet; 'osd out' stops new placements on it",
    )
