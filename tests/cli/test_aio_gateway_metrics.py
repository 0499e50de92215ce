"""Where the all-in-one's gateway workers share their metric files: inside the cluster's data
dir (one directory per gateway process), so a gateway killed with SIGKILL leaves nothing in /tmp;
a directory named in the environment wins."""

from __future__ import annotations

from pathlib import Path

from objectio.cli.aio import METRICS_DIR_ENV, AllInOne, free_port

FLAG = "--metrics-multiprocess-dir="


def _metrics_flags(cluster: AllInOne, name: str) -> list[str]:
    return [arg for arg in cluster.daemons[name].argv if arg.startswith(FLAG)]


def test_each_gateway_gets_a_metrics_dir_inside_the_data_dir(tmp_path: Path) -> None:
    cluster = AllInOne(tmp_path / "aio", port=free_port(), osds=1, gateways=2)
    flags = {name: _metrics_flags(cluster, name) for name in cluster.gateway_names}
    assert flags == {
        "gateway": [f"{FLAG}{cluster.data_dir / 'gateway' / 'metrics'}"],
        "gateway1": [f"{FLAG}{cluster.data_dir / 'gateway1' / 'metrics'}"],
    }


def test_a_metrics_dir_from_the_environment_is_left_alone(tmp_path: Path) -> None:
    cluster = AllInOne(tmp_path / "aio", port=free_port(), osds=1, extra_env={METRICS_DIR_ENV: str(tmp_path / "mine")})
    assert _metrics_flags(cluster, "gateway") == []
