"""Checking systemd units: ``systemd-analyze verify`` when available, else a configparser check
of the keys the installer promises (the test report says which one ran)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

REQUIRED = {
    "Unit": ["Description", "After"],
    "Service": ["ExecStart", "User", "Restart", "LimitNOFILE", "NoNewPrivileges", "ProtectSystem"],
    "Install": ["WantedBy"],
}


def parse_unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


def check_keys(path: Path) -> None:
    unit = parse_unit(path)
    for section, keys in REQUIRED.items():
        assert unit.has_section(section), f"{path}: no [{section}]"
        for key in keys:
            assert unit.has_option(section, key), f"{path}: [{section}] lacks {key}"
    assert unit.get("Service", "Restart") == "on-failure"
    executable = unit.get("Service", "ExecStart").split()[0]
    assert Path(executable).exists(), f"{path}: {executable} does not exist"


def verify_with_systemd(unit_dir: Path, names: list[str]) -> str | None:
    """Run systemd-analyze verify; return its complaints about our units ('' = clean), or None
    when systemd-analyze is not installed."""
    if shutil.which("systemd-analyze") is None:
        return None
    proc = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(unit_dir / name) for name in names)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=unit_dir,
    )
    ours = [line for line in (proc.stdout + proc.stderr).splitlines() if "objectio" in line]
    if proc.returncode != 0 and not ours:
        ours = [f"exit code {proc.returncode}: {proc.stderr.strip()}"]
    return "\n".join(ours)
