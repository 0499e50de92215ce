"""``objectio-install init|join``: prepare this machine's disks and services.

``init`` sets up the metadata service, the S3 gateway and one OSD per chosen disk; ``join``
sets up OSDs only, pointing at an existing metadata service (``--meta``, ``--cluster-token``).
The installer shows its plan first; ``--dry-run`` stops there. Disks named with ``--disk`` are
used (a disk holding data only with ``--force``); without ``--disk`` the blank disks found are
proposed and used only after ``--yes``. A second run changes nothing.

Disks are left blank, never formatted here: each OSD registers with the metadata service on its
first start, receives its id and the cluster id, and writes the superblock itself (see
docs/operations.md, "Why the installer does not format disks").
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from objectio.installer import disks, render
from objectio.installer.actions import CreateUser, MakeDir, PrepareDisk, Step, Systemctl, WriteFile

PROG = "objectio-install"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
PORT_RE = re.compile(r"^listen_port\s*=\s*(\d+)\s*$", re.MULTILINE)


class InstallError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Plan:
    steps: list[Step]
    verdicts: list[disks.Verdict]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("role", choices=["init", "join"], help="init: meta + gateway + OSDs; join: OSDs only")
    parser.add_argument("--disk", action="append", default=[], metavar="DEV", help="use this disk (repeatable)")
    parser.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    parser.add_argument("--root", default="/", help="install into this directory instead of / (no services started)")
    parser.add_argument("--force", action="store_true", help="wipe named disks that hold a filesystem or partitions")
    parser.add_argument("--meta", default=None, help="join: HOST:PORT of the metadata service")
    parser.add_argument("--cluster-token", default=None, help="join: cluster token (or OBJECTIO_CLUSTER_TOKEN)")
    parser.add_argument("--address", default=None, help="address other nodes reach this one at (default: primary IP)")
    parser.add_argument("--host", default=socket.gethostname(), help="failure-domain name of this machine")
    parser.add_argument("--yes", action="store_true", help="use the proposed disks without naming them")
    parser.add_argument("--json", action="store_true", help="print the plan and results as JSON")
    return parser


def primary_address(towards: str = "192.0.2.1") -> str:
    """The local address used to reach ``towards`` (UDP connect sends nothing); 127.0.0.1 if none."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect((towards, 9))
            address: str = sock.getsockname()[0]
            return address
    except OSError:
        return "127.0.0.1"


def _read_toml_value(path: Path, key: str) -> str:
    import tomllib

    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return ""
    for section in data.values():
        if isinstance(section, dict) and isinstance(section.get(key), str):
            return str(section[key])
    return ""


def _settings(args: argparse.Namespace, root: Path) -> tuple[render.NodeSettings, str, str]:
    etc = root / render.CONFIG_DIR.lstrip("/")
    bin_dir = str(Path(sys.executable).parent)
    if args.role == "join":
        token = args.cluster_token or os.environ.get("OBJECTIO_CLUSTER_TOKEN", "")
        if not args.meta or not token:
            raise InstallError(
                "join needs --meta HOST:PORT and --cluster-token (or OBJECTIO_CLUSTER_TOKEN)", EXIT_USAGE
            )
        host, _, port = args.meta.rpartition(":")
        if not host or not port.isdigit():
            raise InstallError(f"--meta {args.meta!r} is not HOST:PORT", EXIT_USAGE)
        address = args.address or primary_address(host)
        return render.NodeSettings(args.meta, address, token, bin_dir), "", ""
    meta_toml = etc / "meta.toml"
    token = (
        args.cluster_token or os.environ.get("OBJECTIO_CLUSTER_TOKEN") or _read_toml_value(meta_toml, "cluster_token")
    )
    access = _read_toml_value(meta_toml, "root_access_key") or "".join(
        secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(20)
    )
    secret = _read_toml_value(meta_toml, "root_secret_key") or secrets.token_urlsafe(30)[:40]
    meta_address = args.meta or f"127.0.0.1:{render.META_PORT}"
    settings = render.NodeSettings(
        meta_address, args.address or primary_address(), token or secrets.token_hex(24), bin_dir
    )
    return settings, access, secret


def _choose_disks(args: argparse.Namespace) -> list[disks.Verdict]:
    devices = disks.list_devices()
    system = disks.system_names(devices, disks.swap_paths())
    everything = list(disks.flatten(devices))
    if args.disk:
        chosen = []
        for name in args.disk:
            wanted = {name, f"/dev/{name}", os.path.realpath(name)}
            match = [d for d in everything if d.path in wanted or d.name in wanted]
            if not match:
                raise InstallError(f"--disk {name}: no such block device (see lsblk)", EXIT_USAGE)
            chosen.append((match[0], True))
    else:
        chosen = [(d, False) for d in devices if d.type == "disk"]
    verdicts = []
    for dev, named in chosen:
        is_system = dev.name in system
        quick_skip = is_system or dev.read_only or dev.size_bytes <= 0 or any(d.mountpoint for d in dev.subtree())
        probe = disks.Probe(blank=False) if quick_skip else disks.probe_device(dev)
        verdicts.append(disks.decide(dev, probe, system=is_system, named=named, force=args.force))
    return verdicts


def _osd_ports(etc: Path, names: list[str]) -> dict[str, int]:
    """Keep the port an OSD's existing config names; give new disks the lowest free ones."""
    ports: dict[str, int] = {}
    for conf in sorted(etc.glob("osd-*.toml")):
        match = PORT_RE.search(conf.read_text())
        if match:
            ports[conf.stem.removeprefix("osd-")] = int(match.group(1))
    taken = set(ports.values())
    candidate = render.OSD_PORT_FIRST
    for name in names:
        if name not in ports:
            while candidate in taken:
                candidate += 1
            ports[name] = candidate
            taken.add(candidate)
    return ports


def build_plan(args: argparse.Namespace, root: Path) -> Plan:
    settings, access, secret = _settings(args, root)
    verdicts = _choose_disks(args)
    usable = [v for v in verdicts if v.decision is not disks.Decision.SKIP]
    etc = render.CONFIG_DIR
    data = render.DATA_DIR
    user = render.SERVICE_USER
    steps: list[Step] = [
        CreateUser(root, user, data),
        MakeDir(root, etc, 0o750, user),
        MakeDir(root, data, 0o750, user),
        MakeDir(root, "/etc/systemd/system", 0o755, "root"),
    ]
    units: list[str] = []
    if args.role == "init":
        steps += [
            MakeDir(root, f"{data}/meta", 0o750, user),
            WriteFile(root, f"{etc}/meta.toml", render.meta_config(settings, access, secret), 0o640, user),
            WriteFile(root, f"{etc}/gateway.toml", render.gateway_config(settings), 0o640, user),
            WriteFile(root, f"{etc}/gateway.env", render.gateway_env(settings), 0o640, user),
            WriteFile(root, "/etc/systemd/system/objectio-meta.service", render.meta_unit(settings), 0o644),
            WriteFile(root, "/etc/systemd/system/objectio-gateway.service", render.gateway_unit(settings), 0o644),
        ]
        units += ["objectio-meta.service", "objectio-gateway.service"]
    steps += [
        WriteFile(root, f"{etc}/cli.env", render.cli_env(settings), 0o600),
        WriteFile(root, "/etc/systemd/system/objectio-osd@.service", render.osd_unit(settings), 0o644),
    ]
    ports = _osd_ports(root / etc.lstrip("/"), [v.device.name for v in usable])
    for verdict in verdicts:
        steps.append(PrepareDisk(verdict))
        if verdict.decision is not disks.Decision.SKIP:
            name = verdict.device.name
            text = render.osd_config(settings, verdict.device.path, ports[name], args.host)
            steps.append(WriteFile(root, f"{etc}/osd-{name}.toml", text, 0o640, user))
            units.append(f"objectio-osd@{name}.service")
    steps.append(Systemctl(root, units))
    return Plan(steps, verdicts)


def _show(console: Console, title: str, rows: list[dict[str, str]]) -> None:
    table = Table(title=title)
    for column in ("step", "target", "what", "result"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["step"], row["target"], row["what"], row.get("result", ""))
    console.print(table)


def run(args: argparse.Namespace, console: Console) -> int:
    root = Path(args.root).resolve()
    plan = build_plan(args, root)
    rows = [{"step": s.kind, "target": s.target(), "what": s.describe(), "result": s.preview()} for s in plan.steps]
    refused = [v for v in plan.verdicts if v.named and v.decision is disks.Decision.SKIP]
    stop_reason = ""
    if refused:
        stop_reason = "refusing: " + "; ".join(f"{v.device.path}: {v.reason}" for v in refused)
    elif args.dry_run:
        stop_reason = "dry run: nothing changed"
    elif not args.disk and not args.yes:
        stop_reason = "nothing changed: name disks with --disk, or pass --yes to use the blank disks marked 'use'"
    if stop_reason:
        _report(console, args, "plan", rows, stop_reason)
        return EXIT_FAILED if refused else EXIT_OK
    for row, step in zip(rows, plan.steps, strict=True):
        row["result"] = step.apply()
    changed = sum(1 for r in rows if not r["result"].startswith(("unchanged", "skipped")))
    summary = f"{changed} change(s)" if changed else "unchanged: nothing to do"
    _report(console, args, "applied", rows, summary)
    return EXIT_OK


def _report(console: Console, args: argparse.Namespace, title: str, rows: list[dict[str, str]], summary: str) -> None:
    if args.json:
        print(json.dumps({"role": args.role, "root": args.root, "steps": rows, "summary": summary}, indent=2))
        return
    _show(console, f"objectio-install {args.role}: {title}", rows)
    console.print(summary)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    try:
        return run(args, console)
    except InstallError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return exc.exit_code
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or "").strip().splitlines()
        print(
            f"{PROG}: {' '.join(map(str, exc.cmd))} failed: {detail[-1] if detail else exc.returncode}", file=sys.stderr
        )
        return EXIT_FAILED
    except (OSError, RuntimeError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
