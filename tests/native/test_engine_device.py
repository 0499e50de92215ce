"""The engine on a real block device (a loop device over a file we create) and format's
safety checks: refuse a target holding a filesystem unless force, refuse a mounted device.

Loop-device tests skip, with the reason printed, when not root or losetup is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from enginetest import CLUSTER_ID

from objectio.native.engine import DeviceBusyError, Engine

MIB = 1 << 20


def loop_unavailable() -> str | None:
    if os.geteuid() != 0:
        return "loop devices need root"
    if shutil.which("losetup") is None:
        return "losetup is not installed"
    return None


@pytest.fixture
def loop_device(tmp_path: Path) -> Iterator[str]:
    reason = loop_unavailable()
    if reason is not None:
        print(f"skipping: {reason}")
        pytest.skip(reason)
    backing = tmp_path / "loop.img"
    with open(backing, "wb") as f:
        f.truncate(64 * MIB)
    try:
        dev = subprocess.run(
            ["losetup", "--find", "--show", str(backing)], check=True, capture_output=True, text=True
        ).stdout.strip()
    except subprocess.CalledProcessError as exc:
        print(f"skipping: losetup failed: {exc.stderr}")
        pytest.skip(f"losetup failed: {exc.stderr}")
    try:
        yield dev
    finally:
        subprocess.run(["losetup", "-d", dev], check=False)


def mkfs_ext4(target: str) -> None:
    if shutil.which("mkfs.ext4") is None:
        pytest.skip("mkfs.ext4 is not installed")
    subprocess.run(["mkfs.ext4", "-q", "-F", target], check=True, capture_output=True)


def test_engine_on_loop_device(loop_device: str) -> None:
    info = Engine.format(loop_device, osd_id=5, cluster_id=CLUSTER_ID)
    assert info.capacity_bytes == 64 * MIB and info.block_size == 4096
    data = os.urandom(3 * MIB + 5)
    with Engine.open(loop_device) as eng:
        eng.put(b"dev/1", data, b"meta")
        eng.put(b"dev/2", b"small")
        assert eng.get(b"dev/1") == data
        with pytest.raises(DeviceBusyError):  # O_EXCL: one engine per device
            Engine.open(loop_device)
    with Engine.open(loop_device) as eng:
        assert eng.get(b"dev/1") == data and eng.stat(b"dev/1").meta == b"meta"
        eng.verify(b"dev/1")
        assert eng.superblock().disk_uuid == info.disk_uuid


def test_format_refuses_ext4_loop_device_unless_forced(loop_device: str) -> None:
    mkfs_ext4(loop_device)
    with pytest.raises(DeviceBusyError):
        Engine.format(loop_device, osd_id=1, cluster_id=CLUSTER_ID)
    Engine.format(loop_device, osd_id=1, cluster_id=CLUSTER_ID, force=True)
    with Engine.open(loop_device) as eng:
        eng.put(b"k", b"v")


def test_format_refuses_mounted_device_even_forced(loop_device: str, tmp_path: Path) -> None:
    mkfs_ext4(loop_device)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "ext4", loop_device, str(mnt)], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"skipping: cannot mount here: {done.stderr}")
        pytest.skip(f"cannot mount here: {done.stderr}")
    try:
        with pytest.raises(DeviceBusyError):
            Engine.format(loop_device, osd_id=1, cluster_id=CLUSTER_ID, force=True)
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_format_refuses_ext4_file_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "ext4.img"
    with open(path, "wb") as f:
        f.truncate(32 * MIB)
    mkfs_ext4(str(path))
    with pytest.raises(DeviceBusyError) as err:
        Engine.format(str(path), osd_id=1, cluster_id=CLUSTER_ID)
    assert str(path) in str(err.value)
    Engine.format(str(path), osd_id=1, cluster_id=CLUSTER_ID, force=True)
    with Engine.open(str(path)) as eng:
        eng.put(b"k", b"v")
        assert eng.get(b"k") == b"v"


@pytest.mark.parametrize("offset,magic", [(510, b"\x55\xaa"), (512, b"EFI PART"), (0, b"XFSB"), (65600, b"_BHRfS_M")])
def test_format_refuses_other_signatures(tmp_path: Path, offset: int, magic: bytes) -> None:
    path = tmp_path / "sig.img"
    with open(path, "wb") as f:
        f.truncate(16 * MIB)
        f.seek(offset)
        f.write(magic)
    with pytest.raises(DeviceBusyError):
        Engine.format(str(path), osd_id=1, cluster_id=CLUSTER_ID)
    Engine.format(str(path), osd_id=1, cluster_id=CLUSTER_ID, force=True)
    with open(path, "rb") as f:  # force wipes the foreign signature
        f.seek(offset)
        assert f.read(len(magic)) != magic or offset == 0
