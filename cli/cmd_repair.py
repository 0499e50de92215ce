"""``objectio-cli repair status|watch`` and ``scrub start|status``.

The metadata service of this version counts degraded stripes (``GetStatus``) but has no repair
or scrub process and no RPC to drive one. These commands report the degraded count where it
helps and then say plainly that the feature is not available (exit code 3). When the protocol
grows the RPCs named below, this module is where they get wired.
"""

from __future__ import annotations

import argparse
from typing import Any

from objectio.cli.context import Context
from objectio.cli.errors import EXIT_NOT_AVAILABLE, NotAvailable
from objectio.cli.metaconn import meta_has_rpc
from objectio.cli.output import Result

REPAIR_RPC = "GetRepairStatus"
SCRUB_START_RPC = "StartScrub"
SCRUB_STATUS_RPC = "GetScrubStatus"


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    repair = sub.add_parser("repair", help="repair of degraded stripes").add_subparsers(dest="action", required=True)
    repair.add_parser("status", parents=[common], help="degraded stripes and repair progress").set_defaults(
        func=repair_status
    )
    repair.add_parser("watch", parents=[common], help="follow repair progress").set_defaults(func=repair_watch)
    scrub = sub.add_parser("scrub", help="background verification of fragments").add_subparsers(
        dest="action", required=True
    )
    scrub.add_parser("start", parents=[common], help="start a scrub pass").set_defaults(func=scrub_start)
    scrub.add_parser("status", parents=[common], help="scrub progress").set_defaults(func=scrub_status)


def repair_status(ctx: Context, args: argparse.Namespace) -> Result:
    degraded = ctx.meta().status().degraded_stripes
    if meta_has_rpc(REPAIR_RPC):  # pragma: no cover - wired when the protocol has it
        raise NotAvailable("repair status", f"this CLI does not know {REPAIR_RPC} yet")
    data = {"degraded_stripes": degraded, "repair_available": False}
    message = (
        f"{degraded} degraded stripe(s). repair: not available in this version "
        "(the metadata service has no repair process yet)"
    )
    return Result(data, lambda c: c.print(message), exit_code=EXIT_NOT_AVAILABLE)


def repair_watch(ctx: Context, args: argparse.Namespace) -> Result:
    ctx.meta().status()  # unreachable cluster is reported as such, not as "not available"
    raise NotAvailable("repair watch", "the metadata service has no repair process to follow yet")


def scrub_start(ctx: Context, args: argparse.Namespace) -> Result:
    ctx.meta().status()
    raise NotAvailable("scrub start", f"the metadata service has no {SCRUB_START_RPC} RPC yet")


def scrub_status(ctx: Context, args: argparse.Namespace) -> Result:
    ctx.meta().status()
    raise NotAvailable("scrub status", f"the metadata service has no {SCRUB_STATUS_RPC} RPC yet")
