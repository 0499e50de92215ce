"""Generated configs load through the services' own config classes; units pass systemd's checks."""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from objectio.common.config import load_config
from objectio.installer import render
from objectio.osd.config import OsdConfig
from tests.installer.unitcheck import check_keys, verify_with_systemd

SETTINGS = render.NodeSettings("127.0.0.1:9100", "10.0.0.5", 'tok"en', str(Path(sys.executable).parent))


def _load(tmp_path: Path, text: str, module: str, cls: str, section: str) -> Any:
    try:
        config_cls = getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError):
        pytest.skip(f"{module}.{cls} is not in this tree yet")
    path = tmp_path / f"{section}.toml"
    path.write_text(text)
    return load_config(config_cls, section, file=path, env={})


def test_osd_config_loads(tmp_path: Path) -> None:
    path = tmp_path / "osd.toml"
    path.write_text(render.osd_config(SETTINGS, "/dev/sdb", 9203, "rack1-node4"))
    config = load_config(OsdConfig, "osd", file=path, env={})
    assert config.disk == "/dev/sdb" and config.listen_port == 9203 and config.format_if_new
    assert config.address == "10.0.0.5:9203" and config.cluster_token == 'tok"en'


def test_meta_config_loads(tmp_path: Path) -> None:
    config = _load(tmp_path, render.meta_config(SETTINGS, "AK", "SK"), "objectio.meta.config", "MetaConfig", "meta")
    assert config.listen_port == 9100 and config.root_access_key == "AK"


def test_gateway_config_loads(tmp_path: Path) -> None:
    config = _load(tmp_path, render.gateway_config(SETTINGS), "objectio.gateway.config", "GatewayConfig", "gateway")
    assert config.meta_address == "127.0.0.1:9100"


def test_units_are_valid(tmp_path: Path) -> None:
    units = {
        "objectio-meta.service": render.meta_unit(SETTINGS),
        "objectio-gateway.service": render.gateway_unit(SETTINGS),
        "objectio-osd@.service": render.osd_unit(SETTINGS),
    }
    for name, text in units.items():
        (tmp_path / name).write_text(text)
        check_keys(tmp_path / name)
    shutil.copy(tmp_path / "objectio-osd@.service", tmp_path / "objectio-osd@sdb.service")
    complaints = verify_with_systemd(
        tmp_path, ["objectio-meta.service", "objectio-gateway.service", "objectio-osd@sdb.service"]
    )
    if complaints is None:
        print("systemd-analyze not installed: units checked with configparser only")
    else:
        assert complaints == "", complaints
