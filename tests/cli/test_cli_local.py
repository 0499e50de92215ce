"""CLI behaviour that needs no cluster: finding the cluster, sizes, usage and unreachable errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from objectio.cli.errors import EXIT_UNREACHABLE, EXIT_USAGE, CliError
from objectio.cli.output import parse_bytes
from objectio.cli.target import resolve
from tests.cli.conftest import run_cli


def test_resolve_prefers_flag_then_env_then_data_dir(tmp_path: Path) -> None:
    (tmp_path / "ports.json").write_text(json.dumps({"meta": 9123, "osds": [1]}))
    (tmp_path / "credentials.json").write_text(
        json.dumps({"access_key": "AK", "secret_key": "SK", "cluster_token": "T"})
    )
    from_dir = resolve(meta=None, data_dir=str(tmp_path), endpoint=None, env={})
    assert (from_dir.meta_address, from_dir.cluster_token, from_dir.access_key) == ("127.0.0.1:9123", "T", "AK")
    env = {"OBJECTIO_META": "meta.example:1", "OBJECTIO_CLUSTER_TOKEN": "T2"}
    from_env = resolve(meta=None, data_dir=str(tmp_path), endpoint=None, env=env)
    assert (from_env.meta_address, from_env.cluster_token) == ("meta.example:1", "T2")
    assert resolve(meta="h:2", data_dir=str(tmp_path), endpoint=None, env=env).meta_address == "h:2"
    with pytest.raises(CliError) as bad:
        resolve(meta="no-port", data_dir=str(tmp_path), endpoint=None, env={})
    assert bad.value.exit_code == EXIT_USAGE


def test_parse_bytes() -> None:
    assert [parse_bytes(s) for s in ("4096", "64k", "64KiB", "1M", "2GiB")] == [4096, 65536, 65536, 1 << 20, 2 << 30]
    with pytest.raises(ValueError):
        parse_bytes("lots")


def test_no_cluster_is_a_usage_error(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "status", check=False)
    assert run.returncode == EXIT_USAGE
    assert run.stderr.startswith("objectio-cli: no cluster given") and len(run.stderr.splitlines()) == 1


def test_unreachable_meta_is_one_clear_line(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--meta", "127.0.0.1:1", "--timeout", "3", "osd", "list", check=False)
    assert run.returncode == EXIT_UNREACHABLE
    assert "cannot reach the metadata service at 127.0.0.1:1" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def test_invalid_pool_is_rejected_before_any_call(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "--meta", "127.0.0.1:1", "pool", "create", "p", "--type", "lrc", "-k", "4", "-m", "2",
                  "--local-groups", "2", check=False)  # fmt: skip
    assert run.returncode == EXIT_USAGE and "LRC needs m > local_groups" in run.stderr
