"""objectio-install on real loop devices, into a throw-away root (``--root tmp_path/root``)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from objectio.installer.disks import read_head_is_blank
from tests.installer.conftest import run_installer
from tests.installer.unitcheck import check_keys, verify_with_systemd

UNITS = ["objectio-meta.service", "objectio-gateway.service", "objectio-osd@.service"]


def _files(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def _steps(proc: subprocess.CompletedProcess[str]) -> dict[str, dict[str, str]]:
    return {s["target"]: s for s in json.loads(proc.stdout)["steps"]}


def test_dry_run_writes_nothing(tmp_path: Path, loop_device: Callable[[str], str]) -> None:
    disk = loop_device("a")
    root = tmp_path / "root"
    proc = run_installer("init", "--root", str(root), "--disk", disk, "--dry-run")
    assert json.loads(proc.stdout)["summary"].startswith("dry run")
    assert _steps(proc)[disk]["what"].startswith("use:")
    files = [s for s in json.loads(proc.stdout)["steps"] if s["step"] == "file"]
    assert files and all(s["result"] == "would create" for s in files)
    assert not root.exists()


def test_init_writes_units_and_config_and_is_idempotent(tmp_path: Path, loop_device: Callable[[str], str]) -> None:
    disks = [loop_device("a"), loop_device("b")]
    root = tmp_path / "root"
    args = ["init", "--root", str(root), "--address", "127.0.0.1", "--disk", disks[0], "--disk", disks[1]]
    first = run_installer(*args)
    assert "change(s)" in json.loads(first.stdout)["summary"]
    unit_dir = root / "etc/systemd/system"
    for unit in UNITS:
        check_keys(unit_dir / unit)
    names = [d.removeprefix("/dev/") for d in disks]
    etc = root / "etc/objectio"
    assert {p.name for p in etc.iterdir()} == {"meta.toml", "gateway.toml", "gateway.env", "cli.env"} | {
        f"osd-{n}.toml" for n in names
    }
    assert (etc / "meta.toml").stat().st_mode & 0o777 == 0o640
    assert (root / "var/lib/objectio/meta").is_dir()
    ports = {n: (etc / f"osd-{n}.toml").read_text().split("listen_port = ")[1].split()[0] for n in names}
    assert len(set(ports.values())) == 2
    user_step = _steps(first)["objectio"]
    assert user_step["result"].startswith("skipped: --root")  # recorded, not run, outside /
    complaints = verify_with_systemd(
        unit_dir, ["objectio-meta.service", "objectio-gateway.service", f"objectio-osd@{names[0]}.service"]
    )
    print("unit check:", "configparser only" if complaints is None else "systemd-analyze verify")
    assert not complaints, complaints
    # Second run: same plan, nothing rewritten (contents and mtimes), every step unchanged/skipped.
    before = _files(root)
    second = run_installer(*args)
    assert json.loads(second.stdout)["summary"] == "unchanged: nothing to do"
    assert all(s["result"].startswith(("unchanged", "skipped")) for s in json.loads(second.stdout)["steps"])
    assert _files(root) == before
    preview = run_installer(*args, "--dry-run")
    assert all(s["result"].startswith(("unchanged", "skipped")) for s in json.loads(preview.stdout)["steps"])


def test_filesystem_disk_needs_force(tmp_path: Path, loop_device: Callable[[str], str]) -> None:
    disk = loop_device("fs")
    subprocess.run(["mkfs.ext4", "-q", "-F", disk], check=True, capture_output=True)
    root = tmp_path / "root"
    refused = run_installer("init", "--root", str(root), "--disk", disk, check=False)
    assert "ext4" in _steps(refused)[disk]["what"] and "--force" in _steps(refused)[disk]["what"]
    assert not root.exists()
    assert subprocess.run(["blkid", "-p", disk], capture_output=True, text=True).stdout.count("ext4") == 1
    # Without --disk a filesystem disk is never proposed, even with --force and --yes.
    wiped = run_installer("init", "--root", str(root), "--disk", disk, "--force")
    assert _steps(wiped)[disk]["result"] == "wiped (now blank)"
    assert read_head_is_blank(disk)
    assert "ext4" not in subprocess.run(["blkid", "-p", disk], capture_output=True, text=True).stdout
    again = run_installer("init", "--root", str(root), "--disk", disk, "--force")
    assert _steps(again)[disk]["result"] == "unchanged"


def test_join_requires_meta_and_token(tmp_path: Path, loop_device: Callable[[str], str]) -> None:
    disk = loop_device("j")
    proc = run_installer("join", "--root", str(tmp_path / "root"), "--disk", disk, check=False)
    assert proc.returncode == 2 and "--meta" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_unknown_disk_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_installer("init", "--root", str(tmp_path / "root"), "--disk", "/dev/objectio-no-such", check=False)
    assert proc.returncode == 2 and "no such block device" in proc.stderr
