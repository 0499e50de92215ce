"""``objectio-cli pool list|create|show``: erasure-coding pools and what each survives."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from objectio.cli.context import Context
from objectio.cli.errors import EXIT_FAILED, EXIT_USAGE, CliError
from objectio.cli.output import Result, grid, human_bytes, kv_table
from objectio.cli.views import pool_view
from objectio.common.pools import PoolError, PoolSpec, PoolType
from objectio.protos import meta_pb2

TYPES = {"rs_vand": PoolType.RS_VAND, "rs_cauchy": PoolType.RS_CAUCHY, "lrc": PoolType.LRC}


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    pool = sub.add_parser("pool", help="erasure-coding pools").add_subparsers(dest="action", required=True)
    pool.add_parser("list", parents=[common], help="every pool").set_defaults(func=pool_list)
    create = pool.add_parser("create", parents=[common], help="define a new pool (validated locally first)")
    create.add_argument("name")
    create.add_argument("--type", required=True, choices=sorted(TYPES))
    create.add_argument("-k", type=int, required=True, help="data fragments per stripe")
    create.add_argument("-m", type=int, required=True, help="parity fragments per stripe (LRC: local ones included)")
    create.add_argument("--local-groups", type=int, default=0, help="LRC only: number of local groups")
    create.add_argument("--stripe-unit-bytes", type=int, default=1 << 20, help="on-disk bytes of one fragment")
    create.set_defaults(func=pool_create)
    show = pool.add_parser("show", parents=[common], help="one pool and its failure tolerance")
    show.add_argument("name")
    show.set_defaults(func=pool_show)


def _render_one(view: dict[str, Any]) -> Any:
    def render(console: Console) -> None:
        console.print(kv_table(view.items(), title=f"pool {view['name']}"))
        if "failure_tolerance" in view:
            console.print(
                f"Every stripe survives the loss of any {view['failure_tolerance']} of its "
                f"{view['fragments']} fragments; raw overhead {view['overhead']}x."
            )

    return render


def pool_list(ctx: Context, args: argparse.Namespace) -> Result:
    cmap = ctx.meta().cluster_map()
    views = [pool_view(p, cmap.default_pool) for p in cmap.pools]

    def render(console: Console) -> None:
        rows = [
            (
                v["name"] + (" *" if v["default"] else ""),
                v["type"],
                v["k"],
                v["m"],
                v["local_groups"] or "-",
                human_bytes(v["stripe_unit_bytes"]),
                v.get("failure_tolerance", "?"),
                f"{v['overhead']}x" if "overhead" in v else "?",
            )
            for v in views
        ]
        columns = ["name", "type", "k", "m", "local groups", "stripe unit", "survives losses", "overhead"]
        console.print(grid(columns, rows, title="pools (* = default)"))

    return Result(views, render)


def pool_create(ctx: Context, args: argparse.Namespace) -> Result:
    try:
        spec = PoolSpec(
            name=args.name,
            type=TYPES[args.type],
            k=args.k,
            m=args.m,
            local_groups=args.local_groups,
            stripe_unit_bytes=args.stripe_unit_bytes,
        ).check()
    except PoolError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    created: meta_pb2.Pool = ctx.meta().call("CreatePool", spec.to_proto())
    view = pool_view(created)
    return Result(view, _render_one(view))


def pool_show(ctx: Context, args: argparse.Namespace) -> Result:
    cmap = ctx.meta().cluster_map()
    for pool in cmap.pools:
        if pool.name == args.name:
            view = pool_view(pool, cmap.default_pool)
            return Result(view, _render_one(view))
    raise CliError(f"pool {args.name!r} does not exist", EXIT_FAILED)
