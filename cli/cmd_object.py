"""``objectio-cli object stat BUCKET KEY``: an object's record and where its fragments live."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from objectio.cli.context import Context
from objectio.cli.output import Result, grid, human_bytes, kv_table
from objectio.cli.views import fragment_role, pool_spec
from objectio.protos import meta_pb2

STRIPES_SHOWN_MAX = 64  # human output; --json always lists every stripe


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    obj = sub.add_parser("object", help="objects").add_subparsers(dest="action", required=True)
    stat = obj.add_parser("stat", parents=[common], help="size, ETag, pool and fragment placement")
    stat.add_argument("bucket")
    stat.add_argument("key")
    stat.set_defaults(func=object_stat)


def object_stat(ctx: Context, args: argparse.Namespace) -> Result:
    meta = ctx.meta()
    record: meta_pb2.ObjectRecord = meta.call("GetObject", meta_pb2.ObjectName(bucket=args.bucket, key=args.key))
    pools = {p.name: p for p in meta.cluster_map().pools}
    spec = pool_spec(pools[record.pool]) if record.pool in pools else None
    stripes = []
    for index, stripe in enumerate(record.stripes):
        fragments = [
            {"index": i, "role": fragment_role(spec, i), "osd_id": osd_id, "missing": osd_id == 0}
            for i, osd_id in enumerate(stripe.osd_ids)
        ]
        stripes.append({"index": index, "length": stripe.length, "fragments": fragments})
    data: dict[str, Any] = {
        "bucket": record.bucket,
        "key": record.key,
        "size": record.size,
        "etag": record.etag,
        "content_type": record.content_type,
        "mtime_ns": record.mtime_ns,
        "version_id": record.version_id,
        "object_id": record.object_id.hex(),
        "pool": record.pool,
        "inline": record.is_inline,
        "user_meta": dict(record.user_meta),
        "stripes": stripes,
        "osds": sorted({f["osd_id"] for s in stripes for f in s["fragments"] if f["osd_id"]}),
        "missing_fragments": sum(1 for s in stripes for f in s["fragments"] if f["missing"]),
    }
    return Result(data, lambda console: _render(console, data))


def _render(console: Console, d: dict[str, Any]) -> None:
    where = "inline in its metadata record" if d["inline"] else f"{len(d['stripes'])} stripe(s) on OSDs {d['osds']}"
    rows = [
        ("object", f"{d['bucket']}/{d['key']}"),
        ("size", f"{d['size']} ({human_bytes(d['size'])})"),
        ("etag", d["etag"]),
        ("content type", d["content_type"]),
        ("pool", d["pool"] or "-"),
        ("stored", where),
        ("object id", d["object_id"] or "-"),
        ("missing fragments", d["missing_fragments"]),
    ]
    console.print(kv_table(rows))
    if not d["stripes"]:
        return
    width = max(len(s["fragments"]) for s in d["stripes"])
    first = d["stripes"][0]["fragments"]
    columns = ["stripe", "bytes"] + [f"{f['index']}:{f['role'][0]}" for f in first] + [""] * (width - len(first))
    rows2 = []
    for stripe in d["stripes"][:STRIPES_SHOWN_MAX]:
        cells = ["[red]missing[/]" if f["missing"] else f"osd {f['osd_id']}" for f in stripe["fragments"]]
        rows2.append([stripe["index"], stripe["length"], *cells])
    console.print(grid(columns, rows2, title="fragments (d = data, p = parity, l/g = LRC local/global parity)"))
    hidden = len(d["stripes"]) - STRIPES_SHOWN_MAX
    if hidden > 0:
        console.print(f"... {hidden} more stripe(s); --json lists them all")
