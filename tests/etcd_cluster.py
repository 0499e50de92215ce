"""A real 3-member etcd cluster on loopback ports in a temporary directory (Debian's ``etcd``).

Used by the metadata tests (the MetaStore contract against etcd), the service tests with
several meta instances and the e2e tests. Members can be killed (-9) and restarted, which
rejoins them with their data directory. Timings are short (50 ms heartbeats, 500 ms
elections) so a start or a leader change costs well under a second on loopback.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from objectio.cli.launch import free_ports

ETCD_BINARY = "etcd"
START_TIMEOUT_S = 20.0
MAX_REQUEST_BYTES = 8 << 20  # record_bytes_max (2 MiB) plus room: etcd's default is 1.5 MiB
MAX_TXN_OPS = 1024  # etcd's default is 128; docs/operations.md says what meta needs
TMPFS = Path("/dev/shm")  # members' data here when it exists: fsync is free, tests stay fast


def member_args(
    name: str,
    data_dir: Path,
    client_url: str,
    peer_url: str,
    initial_cluster: str,
    *,
    new: bool,
    heartbeat_ms: int = 50,
    election_ms: int = 500,
) -> list[str]:
    """The command line of one member (``http://HOST:PORT`` URLs; ``initial_cluster`` is
    ``name=peer_url,...``). With a data directory that already holds a member, etcd ignores
    the initial-cluster flags: the same command line restarts it and it rejoins."""
    return [
        ETCD_BINARY,
        f"--name={name}",
        f"--data-dir={data_dir}",
        f"--listen-client-urls={client_url}",
        f"--advertise-client-urls={client_url}",
        f"--listen-peer-urls={peer_url}",
        f"--initial-advertise-peer-urls={peer_url}",
        f"--initial-cluster={initial_cluster}",
        f"--initial-cluster-state={'new' if new else 'existing'}",
        "--initial-cluster-token=objectio-test",
        f"--heartbeat-interval={heartbeat_ms}",
        f"--election-timeout={election_ms}",
        f"--max-request-bytes={MAX_REQUEST_BYTES}",
        f"--max-txn-ops={MAX_TXN_OPS}",
        "--auto-compaction-mode=revision",
        "--auto-compaction-retention=100000",
        "--quota-backend-bytes=1073741824",
        "--logger=zap",
        "--log-level=warn",
    ]


@dataclass
class EtcdMember:
    name: str
    client_port: int
    peer_port: int
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.client_port}"


@dataclass
class EtcdCluster:
    root: Path
    members: list[EtcdMember] = field(default_factory=list)
    data_root: Path | None = None  # our own directory on tmpfs, removed by stop()

    @property
    def endpoints(self) -> list[str]:
        return [m.endpoint for m in self.members]

    def _initial_cluster(self) -> str:
        return ",".join(f"{m.name}=http://127.0.0.1:{m.peer_port}" for m in self.members)

    def start_member(self, member: EtcdMember, *, new: bool) -> None:
        args = member_args(
            member.name,
            member.data_dir,
            f"http://127.0.0.1:{member.client_port}",
            f"http://127.0.0.1:{member.peer_port}",
            self._initial_cluster(),
            new=new,
        )
        log = member.log_path.open("ab")
        member.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def wait_healthy(self, members: list[EtcdMember] | None = None) -> None:
        """Until every (given) member answers a linearizable read through the cluster."""
        deadline = time.monotonic() + START_TIMEOUT_S
        for member in members or self.members:
            while True:
                assert member.process is not None and member.process.poll() is None, (
                    f"etcd {member.name} exited: {member.log_path.read_text()[-2000:]}"
                )
                done = subprocess.run(
                    ["etcdctl", f"--endpoints={member.endpoint}", "--command-timeout=1s", "get", "health-probe"],
                    capture_output=True,
                    env={**os.environ, "ETCDCTL_API": "3"},
                )
                if done.returncode == 0:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"etcd {member.name} not healthy: {done.stderr.decode()[-500:]}")
                time.sleep(0.05)

    def kill(self, member: EtcdMember) -> None:
        """kill -9 (no clean shutdown)."""
        if member.process is not None and member.process.poll() is None:
            os.killpg(member.process.pid, signal.SIGKILL)
            member.process.wait()
        member.process = None

    def restart(self, member: EtcdMember) -> None:
        self.start_member(member, new=False)
        self.wait_healthy([member])

    def stop(self) -> None:
        for member in self.members:
            self.kill(member)
        if self.data_root is not None:
            shutil.rmtree(self.data_root, ignore_errors=True)


def start_etcd_cluster(root: Path, size: int = 3) -> EtcdCluster:
    if shutil.which(ETCD_BINARY) is None:
        pytest.skip("etcd is not installed (Debian package etcd-server)")
    ports = free_ports(2 * size)
    root.mkdir(parents=True, exist_ok=True)
    cluster = EtcdCluster(root)
    data = root
    if TMPFS.is_dir():
        data = cluster.data_root = Path(tempfile.mkdtemp(prefix="objectio-etcd-", dir=TMPFS))
    for i in range(size):
        cluster.members.append(EtcdMember(f"m{i}", ports[2 * i], ports[2 * i + 1], data / f"m{i}", root / f"m{i}.log"))
    try:
        for member in cluster.members:
            cluster.start_member(member, new=True)
        cluster.wait_healthy()
    except BaseException:
        cluster.stop()
        raise
    return cluster


@contextlib.contextmanager
def etcd_cluster(root: Path, size: int = 3):  # type: ignore[no-untyped-def]
    cluster = start_etcd_cluster(root, size)
    try:
        yield cluster
    finally:
        cluster.stop()
