"""The operator docs that are generated or machine-read stay true to the code."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from objectio.common.config import load_config

ROOT = Path(__file__).resolve().parents[2]
OPTION_LINE = re.compile(r"^# (\w+) = (.+)$")
CLASSES = {
    "meta": ("objectio.meta.config", "MetaConfig"),
    "osd": ("objectio.osd.config", "OsdConfig"),
    "gateway": ("objectio.gateway.config", "GatewayConfig"),
    "datapath": ("objectio.gateway.storage.config", "DataPathConfig"),
}
DASHBOARD_METRICS = [
    "objectio_s3_requests_total",
    "objectio_s3_request_duration_seconds",
    "objectio_s3_received_bytes_total",
    "objectio_s3_sent_bytes_total",
    "objectio_osd_capacity_bytes",
    "objectio_osd_used_bytes",
    "objectio_osd_shards",
    "objectio_osd_cache_hits_total",
]


def test_sample_config_is_fresh() -> None:
    proc = subprocess.run(
        [sys.executable, "scripts/sample_config.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr


def _sections(text: str) -> dict[str, dict[str, object]]:
    sections: dict[str, dict[str, object]] = {}
    current = ""
    for line in text.splitlines():
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections[current] = {}
        elif (match := OPTION_LINE.match(line)) and current and "<this machine" not in line:
            sections[current].update(tomllib.loads(f"{match.group(1)} = {match.group(2)}"))
    return sections


@pytest.mark.parametrize("section", sorted(CLASSES))
def test_sample_config_values_load(section: str, tmp_path: Path) -> None:
    """Uncommenting every default of a section gives a file the service accepts."""
    module, name = CLASSES[section]
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        pytest.skip(f"{module}.{name} is not in this tree")
    values = _sections((ROOT / "docs/sample-config.toml").read_text())[section]
    if section == "osd":
        values["disk"] = "/dev/sdb"  # required, no default
    lines = [f"[{section}]"] + [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    path = tmp_path / "c.toml"
    path.write_text("\n".join(lines) + "\n")
    load_config(cls, section, file=path, env={})


def test_dashboard_covers_the_metrics() -> None:
    dashboard = json.loads((ROOT / "docs/grafana-dashboard.json").read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p.get("targets", []))
    for metric in DASHBOARD_METRICS:
        assert metric in exprs, f"no panel uses {metric}"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
