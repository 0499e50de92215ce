"""Disks prepared by ``objectio-install join`` become OSDs of a running cluster.

An all-in-one cluster (6 file-backed OSDs: the default pool needs 6) plays the existing cluster; two loop devices are
prepared with ``join`` into a throw-away root; ``objectio-osd`` is then started with each
generated config (only the listen port is overridden, to avoid fixed ports on a test machine)
and must register with meta and be up. A second ``join`` recognizes the formatted disks by their
superblock and changes nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest

from objectio.cli.aio import AllInOne, free_port
from objectio.common.grpcutil import call_metadata
from objectio.protos import meta_pb2, meta_pb2_grpc
from tests.cli.conftest import launch_error
from tests.installer.conftest import run_installer

READY_SECONDS = 60.0


@pytest.fixture()
def cluster(tmp_path: Path) -> Iterator[AllInOne]:
    (tmp_path / "aio" / "run").mkdir(parents=True)
    aio = AllInOne(tmp_path / "aio", port=free_port(), osds=6, disk_size_bytes=256 << 20)
    try:
        try:
            aio.start()
        except RuntimeError as exc:
            pytest.skip(f"all-in-one cluster did not start on this tree: {launch_error(exc)}")
        yield aio
    finally:
        aio.stop()


def _osds(cluster: AllInOne) -> list[meta_pb2.Osd]:
    with grpc.insecure_channel(cluster.meta_address) as channel:
        stub = meta_pb2_grpc.MetaServiceStub(channel)
        cmap = stub.GetClusterMap(
            meta_pb2.GetClusterMapRequest(), metadata=call_metadata(cluster.credentials.cluster_token), timeout=10
        )
        return list(cmap.osds)


def _start_osd(config: Path, ready: Path, log: Path) -> subprocess.Popen[bytes]:
    port = free_port()
    argv = [sys.executable, "-m", "objectio.osd.main", "--config", str(config), "--ready-file", str(ready),
            "--listen-host", "127.0.0.1", "--listen-port", str(port),
            "--advertise-address", f"127.0.0.1:{port}"]  # fmt: skip
    with open(log, "wb") as out:
        return subprocess.Popen(argv, stdout=out, stderr=out, stdin=subprocess.DEVNULL)


def test_joined_loop_disks_register_as_osds(
    tmp_path: Path, cluster: AllInOne, loop_device: Callable[[str], str]
) -> None:
    disks = [loop_device("j1"), loop_device("j2")]
    root = tmp_path / "root"
    args = ["join", "--root", str(root), "--meta", cluster.meta_address, "--address", "127.0.0.1",
            "--cluster-token", cluster.credentials.cluster_token, "--host", "loop-node",
            *(a for d in disks for a in ("--disk", d))]  # fmt: skip
    first = json.loads(run_installer(*args).stdout)
    assert first["summary"].endswith("change(s)")
    assert not (root / "etc/systemd/system/objectio-meta.service").exists()  # join: OSDs only
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for disk in disks:
            name = disk.removeprefix("/dev/")
            config = root / f"etc/objectio/osd-{name}.toml"
            procs.append(_start_osd(config, tmp_path / f"{name}.ready", tmp_path / f"{name}.log"))
        deadline = time.monotonic() + READY_SECONDS
        for disk, proc in zip(disks, procs, strict=True):
            ready = tmp_path / f"{disk.removeprefix('/dev/')}.ready"
            while not ready.exists():
                log = ready.with_suffix(".log")
                assert proc.poll() is None, f"objectio-osd on {disk} exited:\n{log.read_text()[-3000:]}"
                assert time.monotonic() < deadline, f"objectio-osd on {disk} not ready:\n{log.read_text()[-3000:]}"
                time.sleep(0.1)
        joined = {o.disk: o for o in _osds(cluster)}
        for disk in disks:
            assert disk in joined, f"{disk} did not register: {sorted(joined)}"
            assert joined[disk].up == meta_pb2.OSD_UP and joined[disk].host == "loop-node"
        assert len(joined) == 6 + len(disks)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    # The disks now carry superblocks: a second join keeps them and changes nothing.
    second = json.loads(run_installer(*args).stdout)
    assert second["summary"] == "unchanged: nothing to do"
    kept = {s["target"]: s for s in second["steps"] if s["step"] == "disk"}
    for disk in disks:
        assert kept[disk]["what"].startswith("keep: ObjectIO disk (osd "), kept[disk]
