"""The installer's plan: a list of small idempotent steps.

Every step can describe itself, say what it would do (``preview``: the plan table and
``--dry-run``, reading only) and apply itself,
reporting ``created``, ``updated``, ``unchanged`` or ``skipped: <why>``. Running the same plan
twice yields only ``unchanged``/``skipped`` the second time: files are compared byte for byte
(and by mode) before they are written, users and directories are created only when missing.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from objectio.installer import disks

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"


class Step(Protocol):
    kind: str

    def target(self) -> str: ...
    def describe(self) -> str: ...
    def preview(self) -> str: ...
    def apply(self) -> str: ...


def _in_root(root: Path, path: str) -> Path:
    return root / path.lstrip("/")


@dataclass
class MakeDir:
    root: Path
    path: str
    mode: int
    owner: str  # chowned only when the user exists and root is "/"
    kind: str = "directory"

    def target(self) -> str:
        return str(_in_root(self.root, self.path))

    def describe(self) -> str:
        return f"mode {self.mode:o}, owner {self.owner}"

    def preview(self) -> str:
        return UNCHANGED if _in_root(self.root, self.path).is_dir() else "would create"

    def apply(self) -> str:
        where = _in_root(self.root, self.path)
        status = UNCHANGED if where.is_dir() else CREATED
        where.mkdir(parents=True, exist_ok=True)
        if (where.stat().st_mode & 0o7777) != self.mode:
            os.chmod(where, self.mode)
            status = UPDATED if status == UNCHANGED else status
        if str(self.root) == "/" and _user_exists(self.owner):
            user = pwd.getpwnam(self.owner)
            st = where.stat()
            if (st.st_uid, st.st_gid) != (user.pw_uid, user.pw_gid):
                os.chown(where, user.pw_uid, user.pw_gid)
                status = UPDATED if status == UNCHANGED else status
        return status


@dataclass
class WriteFile:
    root: Path
    path: str
    content: str
    mode: int
    group: str = ""  # group-readable by the service user (root == "/" only)
    kind: str = "file"

    def target(self) -> str:
        return str(_in_root(self.root, self.path))

    def describe(self) -> str:
        return f"mode {self.mode:o}, {len(self.content.encode())} bytes"

    def preview(self) -> str:
        where = _in_root(self.root, self.path)
        try:
            current = where.read_bytes()
        except FileNotFoundError:
            return "would create"
        if current != self.content.encode() or (where.stat().st_mode & 0o7777) != self.mode:
            return "would update"
        return UNCHANGED

    def apply(self) -> str:
        where = _in_root(self.root, self.path)
        data = self.content.encode()
        try:
            current: bytes | None = where.read_bytes()
        except FileNotFoundError:
            current = None
        status = UNCHANGED
        if current != data:
            where.parent.mkdir(parents=True, exist_ok=True)
            tmp = where.with_name(where.name + ".objectio-tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, self.mode)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, self.mode)
            tmp.replace(where)
            status = CREATED if current is None else UPDATED
        elif (where.stat().st_mode & 0o7777) != self.mode:
            os.chmod(where, self.mode)
            status = UPDATED
        if self.group and str(self.root) == "/" and _group_exists(self.group):
            gid = grp.getgrnam(self.group).gr_gid
            if where.stat().st_gid != gid:
                os.chown(where, 0, gid)
                status = UPDATED if status == UNCHANGED else status
        return status


@dataclass
class CreateUser:
    root: Path
    name: str
    home: str
    kind: str = "user"

    def target(self) -> str:
        return self.name

    def describe(self) -> str:
        return f"system user and group, home {self.home}, no login shell"

    def preview(self) -> str:
        if str(self.root) != "/":
            return f"skipped: --root {self.root}"
        return UNCHANGED if _user_exists(self.name) else "would create"

    def apply(self) -> str:
        if str(self.root) != "/":
            return f"skipped: --root {self.root} (run 'useradd --system {self.name}' on the target)"
        if _user_exists(self.name):
            return UNCHANGED
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", self.home,
             "--shell", "/usr/sbin/nologin", self.name],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return CREATED


@dataclass
class PrepareDisk:
    verdict: disks.Verdict
    kind: str = "disk"

    def target(self) -> str:
        return self.verdict.device.path

    def describe(self) -> str:
        return f"{self.verdict.decision.value}: {self.verdict.reason}"

    def preview(self) -> str:
        decision = self.verdict.decision
        if decision is disks.Decision.WIPE:
            return "would wipe"
        return f"skipped: {self.verdict.reason}" if decision is disks.Decision.SKIP else UNCHANGED

    def apply(self) -> str:
        decision = self.verdict.decision
        if decision is disks.Decision.WIPE:
            dev = self.verdict.device
            # Re-check right before writing: nothing may have started using it since the plan.
            users = disks.open_by_processes(dev.path)
            if users or disks.exclusive_open_error(dev.path):
                raise RuntimeError(f"{dev.path} became busy before it was wiped; nothing written")
            disks.wipe_signatures(dev.path, dev.size_bytes)
            return "wiped (now blank)"
        if decision is disks.Decision.SKIP:
            return f"skipped: {self.verdict.reason}"
        return UNCHANGED  # USE (blank stays blank) and KEEP write nothing


@dataclass
class Systemctl:
    root: Path
    units: list[str]
    kind: str = "services"

    def target(self) -> str:
        return " ".join(self.units)

    def describe(self) -> str:
        return "systemctl daemon-reload; systemctl enable --now"

    def preview(self) -> str:
        if str(self.root) != "/":
            return f"skipped: --root {self.root}"
        return "would enable and start" if systemd_is_pid1() else "skipped: systemd is not PID 1 here"

    def apply(self) -> str:
        if str(self.root) != "/":
            return f"skipped: --root {self.root}"
        if not systemd_is_pid1():
            return "skipped: systemd is not PID 1 here"
        if shutil.which("systemctl") is None:
            return "skipped: systemctl not found"
        subprocess.run(["systemctl", "daemon-reload"], check=True, capture_output=True, text=True)
        before = _active(self.units)
        subprocess.run(["systemctl", "enable", "--now", *self.units], check=True, capture_output=True, text=True)
        return UNCHANGED if before and _active(self.units) == before else "started"


def systemd_is_pid1() -> bool:
    return Path("/run/systemd/system").is_dir()


def _active(units: list[str]) -> bool:
    result = subprocess.run(["systemctl", "is-active", "--quiet", *units], check=False)
    return result.returncode == 0


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True
