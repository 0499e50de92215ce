"""Disk discovery and the decision whether a disk may become an OSD.

Discovery reads ``lsblk --json`` (a tree: disks with their partitions and holders as children).
The decision is a pure function of what lsblk and a few probes report, so it is tested without
hardware. The rules, strongest first:

1. never: the system disk (anything whose subtree holds /, /boot, /boot/efi or swap), a
   read-only or zero-sized device, anything mounted (itself or a child), anything in use
   (holders in sysfs, or an exclusive open fails with EBUSY);
2. keep: a device that already carries an ObjectIO superblock (its OSD id stays);
3. use: a blank device (first 64 KiB zero, no filesystem signature, no partition table);
4. wipe: a device holding a filesystem, partition table or other data — only with ``--force``
   and only when named with ``--disk``; otherwise it is skipped with the reason.
"""

from __future__ import annotations

import enum
import errno
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LSBLK_COLUMNS = "NAME,PATH,SIZE,TYPE,MOUNTPOINT,FSTYPE,PKNAME,RO,PTTYPE,MODEL"
SYSTEM_MOUNTPOINTS = frozenset({"/", "/boot", "/boot/efi", "/usr", "/var", "[SWAP]"})
BLANK_PROBE_BYTES = 64 << 10  # the OSD daemon's notion of blank (objectio.osd.disk)
WIPE_BYTES = 1 << 20  # zeroed at both ends: primary and backup signatures (GPT, md, ...)


class Decision(enum.Enum):
    USE = "use"  # blank: the OSD formats it on first start
    KEEP = "keep"  # already an ObjectIO disk
    WIPE = "wipe"  # holds data; --force given: zero its signatures, then USE
    SKIP = "skip"  # not touched (reason says why)


@dataclass
class BlockDevice:
    name: str
    path: str
    size_bytes: int
    type: str
    mountpoint: str | None
    fstype: str | None
    pttype: str | None
    read_only: bool
    model: str
    parent: str | None
    children: list[BlockDevice] = field(default_factory=list)

    def subtree(self) -> Iterator[BlockDevice]:
        yield self
        for child in self.children:
            yield from child.subtree()


@dataclass(frozen=True)
class Probe:
    """What reading the device itself says (filled by :func:`probe_device`)."""

    blank: bool  # first BLANK_PROBE_BYTES are zero
    busy: str = ""  # why an exclusive open failed / who holds it ("" = free)
    objectio: str = ""  # "osd 3 of cluster c1..." when it carries an ObjectIO superblock
    signature: str = ""  # what blkid recognizes on it ("ext4", "gpt partition table"), if anything


@dataclass(frozen=True)
class Verdict:
    device: BlockDevice
    decision: Decision
    reason: str
    named: bool


def _device(raw: dict[str, Any], parent: str | None) -> BlockDevice:
    dev = BlockDevice(
        name=str(raw["name"]),
        path=str(raw.get("path") or f"/dev/{raw['name']}"),
        size_bytes=int(raw.get("size") or 0),
        type=str(raw.get("type") or ""),
        mountpoint=raw.get("mountpoint"),
        fstype=raw.get("fstype"),
        pttype=raw.get("pttype"),
        read_only=raw.get("ro") in (True, 1, "1"),
        model=str(raw.get("model") or "").strip(),
        parent=raw.get("pkname") or parent,
    )
    dev.children = [_device(child, dev.name) for child in raw.get("children") or []]
    return dev


def parse_lsblk(text: str) -> list[BlockDevice]:
    """Top-level devices (with children) from ``lsblk --json`` output."""
    data = json.loads(text)
    return [_device(raw, None) for raw in data.get("blockdevices", [])]


def list_devices() -> list[BlockDevice]:
    out = subprocess.run(
        ["lsblk", "--json", "-b", "-o", LSBLK_COLUMNS], check=True, capture_output=True, text=True
    ).stdout
    return parse_lsblk(out)


def flatten(devices: list[BlockDevice]) -> Iterator[BlockDevice]:
    for dev in devices:
        yield from dev.subtree()


def system_names(devices: list[BlockDevice], extra_system_paths: frozenset[str] = frozenset()) -> set[str]:
    """Names of devices that hold the running system: a top-level device is the system disk when
    anything in its subtree is mounted at a system mount point (this follows partitions, LVM and
    md holders, which lsblk lists as children, i.e. the PKNAME chain)."""
    names: set[str] = set()
    for top in devices:
        tree = list(top.subtree())
        if any(d.mountpoint in SYSTEM_MOUNTPOINTS or d.path in extra_system_paths for d in tree):
            names.update(d.name for d in tree)
    return names


def swap_paths() -> frozenset[str]:
    try:
        lines = Path("/proc/swaps").read_text().splitlines()[1:]
    except OSError:
        return frozenset()
    return frozenset(line.split()[0] for line in lines if line.strip())


def decide(dev: BlockDevice, probe: Probe, *, system: bool, named: bool, force: bool) -> Verdict:
    """Apply the module docstring's rules to one device."""

    def verdict(decision: Decision, reason: str) -> Verdict:
        return Verdict(dev, decision, reason, named)

    mounted = [d.mountpoint for d in dev.subtree() if d.mountpoint]
    if system:
        return verdict(Decision.SKIP, "system disk")
    if dev.read_only:
        return verdict(Decision.SKIP, "read-only")
    if dev.size_bytes <= 0:
        return verdict(Decision.SKIP, "no capacity")
    if mounted:
        return verdict(Decision.SKIP, f"mounted at {', '.join(mounted)}")
    if probe.busy:
        return verdict(Decision.SKIP, f"in use ({probe.busy})")
    if probe.objectio:
        return verdict(Decision.KEEP, f"ObjectIO disk ({probe.objectio}); kept as is")
    holds = _what_it_holds(dev, probe)
    if not holds:
        return verdict(Decision.USE, "blank; the OSD formats it on first start")
    if not named:
        return verdict(Decision.SKIP, f"holds {holds}; not named with --disk")
    if not force:
        return verdict(Decision.SKIP, f"holds {holds} (use --force to wipe it)")
    return verdict(Decision.WIPE, f"holds {holds}; --force: signatures will be zeroed")


def _what_it_holds(dev: BlockDevice, probe: Probe) -> str:
    if dev.fstype:
        return f"data recognized as {dev.fstype}"
    if dev.pttype or any(d.type == "part" for d in dev.subtree()):
        return f"a partition table ({dev.pttype or 'partitions'})"
    if probe.signature:
        return probe.signature
    if not probe.blank:
        return "data (first 64 KiB not zero)"
    return ""


# ---- probes of the device itself -------------------------------------------------------------


def read_head_is_blank(path: str) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(BLANK_PROBE_BYTES)
    return head.count(0) == len(head)


def holders(name: str) -> list[str]:
    try:
        return sorted(os.listdir(f"/sys/class/block/{name}/holders"))
    except OSError:
        return []


def exclusive_open_error(path: str) -> str:
    """'' when nobody holds the block device exclusively (mount, md, dm, a running OSD)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_EXCL)
    except OSError as exc:
        if exc.errno == errno.EBUSY:
            return "busy: mounted or opened exclusively"
        return exc.strerror or str(exc)
    os.close(fd)
    return ""


def objectio_identity(path: str) -> str:
    """'osd N of cluster C' when the engine can open the device, else ''."""
    try:
        from objectio.native.engine import CACHE_BYTES_MIN, Engine
    except ImportError:  # an installer built without the engine cannot recognize ObjectIO disks
        return ""
    try:
        engine = Engine.open(path, cache_bytes=CACHE_BYTES_MIN)
    except Exception:  # any engine error means: not a readable ObjectIO disk
        return ""
    try:
        sb = engine.superblock()
        return f"osd {sb.osd_id} of cluster {sb.cluster_id}"
    finally:
        engine.close()


OSD_PROCESS_NAME = "objectio-osd"  # the OSD daemon's process name (objectio.common.process.set_role)


def open_by_processes(path: str) -> list[tuple[str, int]]:
    """(name, pid) of every process with the block device ``path`` open (a running OSD, dd, ...)."""
    try:
        rdev = os.stat(path).st_rdev
    except OSError:
        return []
    if not rdev:
        return []
    found = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.stat(f"/proc/{pid}/fd/{fd}").st_rdev != rdev:
                    continue
                comm = Path(f"/proc/{pid}/comm").read_text().strip()
            except OSError:
                continue
            found.append((comm, int(pid)))
            break
    return found


def probe_device(dev: BlockDevice) -> Probe:
    held = holders(dev.name)
    if held:
        return Probe(blank=False, busy=f"held by {', '.join(held)}")
    users = open_by_processes(dev.path)
    if users and all(name == OSD_PROCESS_NAME for name, _ in users):
        return Probe(blank=False, objectio=f"served by running {OSD_PROCESS_NAME} pid {users[0][1]}")
    if users:
        return Probe(blank=False, busy="open by " + ", ".join(f"{name}[{pid}]" for name, pid in users))
    busy = exclusive_open_error(dev.path)
    if busy:
        return Probe(blank=False, busy=busy)
    blank = read_head_is_blank(dev.path)
    if blank:
        return Probe(blank=True, signature=blkid_signature(dev.path))
    return Probe(blank=False, objectio=objectio_identity(dev.path), signature=blkid_signature(dev.path))


def blkid_signature(path: str) -> str:
    """blkid's low-level probe (reads the device itself; udev's database may not know it)."""
    try:
        out = subprocess.run(
            ["blkid", "-p", "-o", "export", path], capture_output=True, text=True, check=False, timeout=30
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    tags = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    if tags.get("TYPE"):
        return f"data recognized as {tags['TYPE']}"
    if tags.get("PTTYPE"):
        return f"a partition table ({tags['PTTYPE']})"
    return ""


def wipe_signatures(path: str, size_bytes: int) -> None:
    """Zero the first and last WIPE_BYTES (filesystem, partition-table and RAID signatures)."""
    zeros = bytes(WIPE_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_EXCL)
    try:
        os.pwrite(fd, zeros[: min(WIPE_BYTES, size_bytes)], 0)
        if size_bytes > 2 * WIPE_BYTES:
            os.pwrite(fd, zeros, size_bytes - WIPE_BYTES)
        os.fsync(fd)
    finally:
        os.close(fd)
