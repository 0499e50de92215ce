"""``objectio-cli user create|list|delete`` and ``key create|list|revoke``.

A secret key is shown once, when it is created; listings never contain secrets.
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from objectio.cli.context import Context
from objectio.cli.errors import EXIT_USAGE, CliError
from objectio.cli.output import Result, grid, kv_table
from objectio.cli.views import iso_ms, key_view, user_view
from objectio.protos import meta_pb2


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    user = sub.add_parser("user", help="S3 users").add_subparsers(dest="action", required=True)
    create = user.add_parser("create", parents=[common], help="create a user and its first access key")
    create.add_argument("name")
    create.add_argument("--admin", action="store_true", help="may manage every bucket")
    _key_flags(create)
    create.set_defaults(func=user_create)
    user.add_parser("list", parents=[common], help="every user").set_defaults(func=user_list)
    delete = user.add_parser("delete", parents=[common], help="delete a user")
    delete.add_argument("name")
    delete.set_defaults(func=user_delete)

    key = sub.add_parser("key", help="S3 access keys").add_subparsers(dest="action", required=True)
    kcreate = key.add_parser("create", parents=[common], help="a new access key for a user")
    kcreate.add_argument("user")
    _key_flags(kcreate)
    kcreate.set_defaults(func=key_create)
    klist = key.add_parser("list", parents=[common], help="a user's access keys (no secrets)")
    klist.add_argument("user")
    klist.set_defaults(func=key_list)
    revoke = key.add_parser("revoke", parents=[common], help="revoke an access key")
    revoke.add_argument("access_key", metavar="KEY")
    revoke.set_defaults(func=key_revoke)


def _key_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--access-key", default="", help="use this access key id (default: generated)")
    parser.add_argument("--secret-key", default="", help="use this secret (default: generated)")


def _new_key(ctx: Context, user: str, args: argparse.Namespace) -> dict[str, Any]:
    if bool(args.access_key) != bool(args.secret_key):
        raise CliError("--access-key and --secret-key go together", EXIT_USAGE)
    request = meta_pb2.CreateAccessKeyRequest(user=user, access_key=args.access_key, secret_key=args.secret_key)
    return key_view(ctx.meta().call("CreateAccessKey", request))


def _render_key(key: dict[str, Any]) -> Any:
    def render(console: Console) -> None:
        rows = [("user", key["user"]), ("access key", key["access_key"]), ("secret key", key.get("secret_key"))]
        console.print(kv_table(rows))
        console.print("The secret key is shown only now; keep it.")

    return render


def user_create(ctx: Context, args: argparse.Namespace) -> Result:
    if bool(args.access_key) != bool(args.secret_key):
        raise CliError("--access-key and --secret-key go together", EXIT_USAGE)
    user = user_view(ctx.meta().call("CreateUser", meta_pb2.CreateUserRequest(name=args.name, is_admin=args.admin)))
    key = _new_key(ctx, args.name, args)
    return Result({**user, "key": key}, _render_key(key))


def user_list(ctx: Context, args: argparse.Namespace) -> Result:
    views = [user_view(u) for u in ctx.meta().call("ListUsers", meta_pb2.Empty()).users]
    rows = [(v["name"], "yes" if v["is_admin"] else "", iso_ms(v["created_ms"])) for v in views]
    return Result(views, lambda c: c.print(grid(["user", "admin", "created (UTC)"], rows)))


def user_delete(ctx: Context, args: argparse.Namespace) -> Result:
    ctx.meta().call("DeleteUser", meta_pb2.UserName(name=args.name))
    return Result({"name": args.name, "deleted": True}, lambda c: c.print(f"user {args.name} deleted"))


def key_create(ctx: Context, args: argparse.Namespace) -> Result:
    key = _new_key(ctx, args.user, args)
    return Result(key, _render_key(key))


def key_list(ctx: Context, args: argparse.Namespace) -> Result:
    reply = ctx.meta().call("ListAccessKeys", meta_pb2.UserName(name=args.user))
    views = [key_view(k) for k in reply.keys]
    for view in views:
        view.pop("secret_key", None)
    rows = [(v["access_key"], v["user"], "yes" if v["is_admin"] else "", iso_ms(v["created_ms"])) for v in views]
    return Result(views, lambda c: c.print(grid(["access key", "user", "admin", "created (UTC)"], rows)))


def key_revoke(ctx: Context, args: argparse.Namespace) -> Result:
    ctx.meta().call("RevokeAccessKey", meta_pb2.AccessKeyId(access_key=args.access_key))
    return Result(
        {"access_key": args.access_key, "revoked": True},
        lambda c: c.print(f"access key {args.access_key} revoked (gateways may accept it for a few more seconds)"),
    )
