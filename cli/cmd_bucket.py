"""``objectio-cli bucket list|create|delete|stats``."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from objectio.cli.context import Context
from objectio.cli.errors import CliError
from objectio.cli.output import Result, grid, human_bytes, kv_table
from objectio.cli.views import bucket_view, iso_ms
from objectio.protos import meta_pb2

LIST_PAGE_KEYS = 1000
DEFAULT_OWNER = "admin"  # meta's default root user, when the CLI has no access key to ask about


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    bucket = sub.add_parser("bucket", help="buckets").add_subparsers(dest="action", required=True)
    listing = bucket.add_parser("list", parents=[common], help="every bucket (or one owner's)")
    listing.add_argument("--owner", default="", help="only this user's buckets")
    listing.set_defaults(func=bucket_list)
    create = bucket.add_parser("create", parents=[common], help="create a bucket")
    create.add_argument("name")
    create.add_argument("--owner", default=None, help="owning user (default: the user of the configured access key)")
    create.add_argument("--pool", default="", help="pool of its objects (default: the cluster's default pool)")
    create.set_defaults(func=bucket_create)
    delete = bucket.add_parser("delete", parents=[common], help="delete an empty bucket")
    delete.add_argument("name")
    delete.set_defaults(func=bucket_delete)
    stats = bucket.add_parser("stats", parents=[common], help="object count and bytes (lists every key)")
    stats.add_argument("name")
    stats.set_defaults(func=bucket_stats)


def bucket_list(ctx: Context, args: argparse.Namespace) -> Result:
    reply = ctx.meta().call("ListBuckets", meta_pb2.ListBucketsRequest(owner=args.owner))
    views = [bucket_view(b) for b in reply.buckets]

    def render(console: Console) -> None:
        rows = [(v["name"], v["owner"], v["pool"] or "(default)", iso_ms(v["created_ms"])) for v in views]
        console.print(grid(["bucket", "owner", "pool", "created (UTC)"], rows))

    return Result(views, render)


def _default_owner(ctx: Context) -> str:
    access_key = ctx.target().access_key
    if not access_key:
        return DEFAULT_OWNER
    key: meta_pb2.AccessKey = ctx.meta().call("LookupAccessKey", meta_pb2.AccessKeyId(access_key=access_key))
    return key.user or DEFAULT_OWNER


def bucket_create(ctx: Context, args: argparse.Namespace) -> Result:
    owner = args.owner or _default_owner(ctx)
    request = meta_pb2.CreateBucketRequest(name=args.name, owner=owner, pool=args.pool)
    view = bucket_view(ctx.meta().call("CreateBucket", request))
    pool = view["pool"] or "the default pool"
    return Result(view, lambda c: c.print(f"bucket {view['name']} created (owner {view['owner']}, {pool})"))


def bucket_delete(ctx: Context, args: argparse.Namespace) -> Result:
    ctx.meta().call("DeleteBucket", meta_pb2.BucketName(name=args.name))
    return Result({"name": args.name, "deleted": True}, lambda c: c.print(f"bucket {args.name} deleted"))


def bucket_stats(ctx: Context, args: argparse.Namespace) -> Result:
    meta = ctx.meta()
    bucket = bucket_view(meta.call("GetBucket", meta_pb2.BucketName(name=args.name)))
    objects = total = inline = 0
    marker = ""
    while True:
        request = meta_pb2.ListObjectsRequest(bucket=args.name, start_after=marker, max_keys=LIST_PAGE_KEYS)
        page = meta.call("ListObjects", request)
        objects += len(page.keys)
        total += sum(page.sizes)
        inline += sum(page.is_inline)
        if not page.is_truncated:
            break
        next_marker = page.next_marker or (page.keys[-1] if page.keys else "")
        if not next_marker or next_marker == marker:
            raise CliError(f"bucket {args.name}: listing did not advance past {marker!r}")
        marker = next_marker
    data = {**bucket, "objects": objects, "bytes": total, "inline_objects": inline}
    rows = [
        ("bucket", args.name),
        ("owner", bucket["owner"]),
        ("pool", bucket["pool"] or "(default)"),
        ("objects", f"{objects} ({inline} inline)"),
        ("bytes", f"{total} ({human_bytes(total)})"),
    ]
    return Result(data, lambda c: c.print(kv_table(rows)))
