"""``objectio-cli``: administer an ObjectIO cluster through its metadata service.

Which cluster: ``--meta HOST:PORT[,HOST:PORT...]`` or ``OBJECTIO_META`` (several metadata
instances are tried in order, failing over when one cannot be reached), else the all-in-one data directory
(``--data-dir``, default ``./data``). Output is for people by default and JSON with ``--json``.
Failures print one line ``objectio-cli: <message>`` on stderr and exit non-zero (codes in
:mod:`objectio.cli.errors`). Set ``OBJECTIO_DEBUG=1`` to see tracebacks of unexpected errors.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from objectio.cli import (
    cmd_bench,
    cmd_bucket,
    cmd_meta,
    cmd_object,
    cmd_osd,
    cmd_pool,
    cmd_repair,
    cmd_status,
    cmd_user,
)
from objectio.cli.context import Context
from objectio.cli.errors import EXIT_FAILED, CliError
from objectio.cli.metaconn import DEFAULT_TIMEOUT_SECONDS
from objectio.cli.output import emit

PROG = "objectio-cli"
COMMANDS = (cmd_status, cmd_osd, cmd_pool, cmd_bucket, cmd_user, cmd_object, cmd_repair, cmd_meta, cmd_bench)


def _global_flags(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """The same flags before or after the subcommand; after it they override (SUPPRESS keeps the
    top-level value when a subcommand does not repeat them)."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument(
        "--meta",
        default=default(None),
        help="metadata service HOST:PORT[,HOST:PORT...], tried in order (or OBJECTIO_META)",
    )
    parser.add_argument("--data-dir", default=default(None), help="all-in-one data directory (default ./data)")
    parser.add_argument("--json", action="store_true", default=default(False), help="print JSON for scripts")
    parser.add_argument(
        "--timeout", type=float, default=default(DEFAULT_TIMEOUT_SECONDS), help="seconds per metadata call"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=(__doc__ or "").split("\n\n")[0])
    _global_flags(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _global_flags(common, suppress=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.add_parsers(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    ctx = Context(args)
    try:
        result = args.func(ctx, args)
        emit(result, ctx.as_json)
        return int(result.exit_code)
    except CliError as exc:
        print(f"{PROG}: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_FAILED
    except Exception as exc:
        if os.environ.get("OBJECTIO_DEBUG") == "1":
            traceback.print_exc()
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"{PROG}: unexpected {type(exc).__name__}: {message}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
