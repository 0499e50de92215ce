"""The disk rules of objectio.installer.disks, on lsblk output written by hand (no devices)."""

from __future__ import annotations

import json

from objectio.installer.disks import Decision, Probe, decide, flatten, parse_lsblk, system_names

LSBLK = {
    "blockdevices": [
        {
            "name": "sda", "path": "/dev/sda", "size": 500 << 30, "type": "disk", "mountpoint": None,
            "fstype": None, "pkname": None, "ro": False, "pttype": "gpt",
            "children": [
                {"name": "sda1", "path": "/dev/sda1", "size": 1 << 30, "type": "part", "mountpoint": "/boot/efi",
                 "fstype": "vfat", "pkname": "sda", "ro": False},
                {"name": "sda2", "path": "/dev/sda2", "size": 400 << 30, "type": "part", "mountpoint": None,
                 "fstype": "LVM2_member", "pkname": "sda", "ro": False,
                 "children": [{"name": "vg-root", "path": "/dev/mapper/vg-root", "size": 100 << 30,
                               "type": "lvm", "mountpoint": "/", "fstype": "ext4", "pkname": "sda2", "ro": False}]},
            ],
        },
        {"name": "sdb", "path": "/dev/sdb", "size": 4 << 40, "type": "disk", "mountpoint": None, "fstype": None,
         "pkname": None, "ro": False, "pttype": None},
        {"name": "sdc", "path": "/dev/sdc", "size": 4 << 40, "type": "disk", "mountpoint": None, "fstype": "xfs",
         "pkname": None, "ro": False, "pttype": None},
        {"name": "sdd", "path": "/dev/sdd", "size": 4 << 40, "type": "disk", "mountpoint": "/srv", "fstype": "xfs",
         "pkname": None, "ro": False, "pttype": None},
        {"name": "sr0", "path": "/dev/sr0", "size": 1 << 30, "type": "rom", "mountpoint": None, "fstype": None,
         "pkname": None, "ro": True, "pttype": None},
    ]
}  # fmt: skip


def test_system_disk_is_found_through_lvm_and_partitions() -> None:
    devices = parse_lsblk(json.dumps(LSBLK))
    names = system_names(devices)
    assert {"sda", "sda1", "sda2", "vg-root"} <= names
    assert "sdb" not in names


def test_swap_device_counts_as_system() -> None:
    devices = parse_lsblk(json.dumps(LSBLK))
    assert "sdb" in system_names(devices, frozenset({"/dev/sdb"}))


def test_decisions() -> None:
    d = {dev.name: dev for dev in flatten(parse_lsblk(json.dumps(LSBLK)))}
    blank = Probe(blank=True)
    assert decide(d["sda"], blank, system=True, named=True, force=True).decision is Decision.SKIP
    assert decide(d["sdb"], blank, system=False, named=False, force=False).decision is Decision.USE
    busy = decide(d["sdb"], Probe(blank=True, busy="held by md0"), system=False, named=True, force=True)
    assert busy.decision is Decision.SKIP and "in use" in busy.reason
    kept = decide(d["sdb"], Probe(blank=False, objectio="osd 3 of cluster c"), system=False, named=True, force=True)
    assert kept.decision is Decision.KEEP
    # A filesystem: skipped unless named *and* forced.
    assert decide(d["sdc"], blank, system=False, named=False, force=True).decision is Decision.SKIP
    refused = decide(d["sdc"], blank, system=False, named=True, force=False)
    assert refused.decision is Decision.SKIP and "--force" in refused.reason and "xfs" in refused.reason
    assert decide(d["sdc"], blank, system=False, named=True, force=True).decision is Decision.WIPE
    # Mounted and read-only devices are never used, even forced.
    assert decide(d["sdd"], blank, system=False, named=True, force=True).decision is Decision.SKIP
    assert decide(d["sr0"], blank, system=False, named=True, force=True).decision is Decision.SKIP
    # Unknown data in the first 64 KiB counts as data.
    assert decide(d["sdb"], Probe(blank=False), system=False, named=True, force=False).decision is Decision.SKIP
