"""An etcd-backed ObjectIO cluster over namespace hosts: several meta instances, several gateways.

Layout (hosts are namespaces of :class:`~tests.netns.network.Network`, as in
:class:`~tests.netns.harness.MultiHostCluster`, whose faults and lifecycle this class keeps):

* ``c1`` ``c2`` ``c3`` — control hosts, one etcd member each; ``c1`` and ``c2`` also run an
  ``objectio-meta`` on the etcd backend (instance names ``meta-c1``, ``meta-c2``) over all three
  members, so killing ``c1`` takes one etcd member and one meta instance down together;
* ``gw1`` ``gw2`` — one ``objectio-gateway`` each, given both meta addresses (failover);
* ``h1`` .. ``hN`` — OSDs, given both meta addresses; ``client`` as in the base harness.

etcd members keep their data on tmpfs when there is one (``/dev/shm``: fsync is free, as in
:mod:`tests.etcd_cluster`); a killed host's member restarts on the same data directory with the
same command line and rejoins. :meth:`etcdctl` runs ``etcdctl`` from the client namespace.
Reproduce: ``pytest tests/netns/test_etcd_hosts.py -q`` as root; logs under ``<host>/logs/``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from objectio.cli.launch import gateway_args, meta_args, wait_http_ready
from tests.etcd_cluster import TMPFS, member_args
from tests.netns.harness import CLIENT, GATEWAY_PORT, META_PORT, MultiHostCluster
from tests.netns.network import Network

CONTROL_HOSTS = ("c1", "c2", "c3")
META_HOSTS = ("c1", "c2")
GATEWAY_HOSTS = ("gw1", "gw2")
ETCD_CLIENT_PORT = 2379
ETCD_PEER_PORT = 2380
# Raft timings across the bridge on a shared 2-core machine: twice the loopback cluster's.
ETCD_HEARTBEAT_MS = 100
ETCD_ELECTION_MS = 1000
ETCD_READY_TIMEOUT_S = 30.0
ETCDCTL_TIMEOUT_S = 15.0


def meta_instance(host: str) -> str:
    return f"meta-{host}"


def gateway_daemon(host: str) -> str:
    return f"{host}-gateway"


def etcd_daemon(host: str) -> str:
    return f"{host}-etcd"


class EtcdHostsCluster(MultiHostCluster):
    """``osds_per_host[i]`` OSDs on ``h{i+1}``; use as a context manager (or call close())."""

    def __init__(self, root: Path, osds_per_host: Sequence[int], extra_env: dict[str, str] | None = None) -> None:
        super().__init__(root, osds_per_host, extra_env=extra_env)
        self.etcd_data: Path | None = None  # our directory on tmpfs (or under root), removed by close()

    # ---- addresses ---------------------------------------------------------------------------------

    def etcd_endpoint(self, host: str) -> str:
        """A member's client address as every namespace reaches it."""
        return f"{self.host(host).address}:{ETCD_CLIENT_PORT}"

    @property
    def etcd_endpoints(self) -> list[str]:
        return [self.etcd_endpoint(h) for h in CONTROL_HOSTS]

    @property
    def meta_address_inside(self) -> str:
        """Every meta instance, comma-separated, as daemons reach them (OSDs and gateways fail over)."""
        return ",".join(f"{self.host(h).address}:{META_PORT}" for h in META_HOSTS)

    def meta_address_of(self, host: str) -> str:
        """One meta instance through a forwarder (for objectio-cli --meta)."""
        return self.forward(host, META_PORT)

    @property
    def meta_address(self) -> str:
        """Both meta instances through forwarders, comma-separated (MetaClient / objectio-cli)."""
        return ",".join(self.meta_address_of(h) for h in META_HOSTS)

    @property
    def endpoints(self) -> list[str]:
        return [f"http://{self.forward(h, GATEWAY_PORT)}" for h in GATEWAY_HOSTS]

    @property
    def endpoint(self) -> str:
        return self.endpoints[0]

    # ---- set-up ------------------------------------------------------------------------------------

    def start(self) -> None:
        self.network = Network()
        for name in (CLIENT, *CONTROL_HOSTS, *GATEWAY_HOSTS, *self.osd_hosts):
            self.add_host(name)
        base = TMPFS if TMPFS.is_dir() else self.root
        self.etcd_data = Path(tempfile.mkdtemp(prefix="objectio-netns-etcd-", dir=base))
        initial = ",".join(f"{h}=http://{self.host(h).address}:{ETCD_PEER_PORT}" for h in CONTROL_HOSTS)
        for host in CONTROL_HOSTS:
            address = self.host(host).address
            argv = member_args(
                host,
                self.etcd_data / host,
                f"http://{address}:{ETCD_CLIENT_PORT}",
                f"http://{address}:{ETCD_PEER_PORT}",
                initial,
                new=True,
                heartbeat_ms=ETCD_HEARTBEAT_MS,
                election_ms=ETCD_ELECTION_MS,
            )
            self.add_command(host, etcd_daemon(host), argv)
        for host in CONTROL_HOSTS:
            self.daemons[etcd_daemon(host)].start()
        self.wait_etcd_healthy(CONTROL_HOSTS)
        backend = ["--backend", "etcd", "--etcd-endpoints", ",".join(self.etcd_endpoints)]
        for host in META_HOSTS:
            address, state = self.host(host).address, self.host_dir(host) / "meta"
            args = [*meta_args(address, META_PORT, state, self.credentials.access_key), *backend]
            args.append(f"--instance-name={meta_instance(host)}")
            self.add_daemon(host, meta_instance(host), "objectio.meta.main", args)
        for host, count in zip(self.osd_hosts, self.osds_per_host, strict=True):
            for index in range(count):
                self._define_osd(host, index)
        for host in GATEWAY_HOSTS:
            args = gateway_args(self.host(host).address, GATEWAY_PORT, self.meta_address_inside)
            self.add_daemon(host, gateway_daemon(host), "objectio.gateway.main", args)
        for host in META_HOSTS:
            self.start_host(host, wait=False)
        for host in META_HOSTS:
            self.wait_host(host)
        for host in self.osd_hosts:
            self.start_host(host, wait=False)
        for host in self.osd_hosts:
            self.wait_host(host)
        for host in GATEWAY_HOSTS:
            self.start_host(host)

    def wait_host(self, host: str) -> None:
        for name in self.daemons_of(host):
            if name not in self.unready:
                self.daemons[name].wait_ready()
        if etcd_daemon(host) in self.daemons_of(host):
            self.wait_etcd_healthy([host])
        if gateway_daemon(host) in self.daemons_of(host):
            gateway = self.daemons[gateway_daemon(host)]
            wait_http_ready(f"http://{self.forward(host, GATEWAY_PORT)}", gateway.alive, gateway.tail)

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.etcd_data is not None:
                shutil.rmtree(self.etcd_data, ignore_errors=True)
                self.etcd_data = None

    # ---- etcd --------------------------------------------------------------------------------------

    def etcdctl(self, *args: str, endpoints: Sequence[str] | None = None) -> subprocess.CompletedProcess[str]:
        """``etcdctl`` (API v3) from the client namespace against ``endpoints`` (default: every member)."""
        argv = [
            *self.host(CLIENT).exec_prefix,
            "etcdctl",
            f"--endpoints={','.join(endpoints or self.etcd_endpoints)}",
            "--dial-timeout=2s",
            "--command-timeout=5s",
            *args,
        ]
        env = {**os.environ, "ETCDCTL_API": "3"}
        return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=ETCDCTL_TIMEOUT_S)

    def wait_etcd_healthy(self, hosts: Sequence[str], timeout_s: float = ETCD_READY_TIMEOUT_S) -> None:
        """Until each member answers a linearizable read (it is part of a quorum with a leader)."""
        deadline = time.monotonic() + timeout_s
        for host in hosts:
            daemon = self.daemons[etcd_daemon(host)]
            while True:
                if not daemon.alive():
                    raise RuntimeError(f"etcd on {host} exited; see {daemon.log_file}:\n{daemon.tail()}")
                done = self.etcdctl("get", "health-probe", endpoints=[self.etcd_endpoint(host)])
                if done.returncode == 0:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"etcd on {host} not healthy after {timeout_s:.0f} s: {done.stderr[-500:]}")
                time.sleep(0.1)

    def etcd_status(self, hosts: Sequence[str] = CONTROL_HOSTS) -> dict[str, dict[str, Any]]:
        """``endpoint status`` of each answering member: host -> {member_id, leader, revision, raft_index}."""
        done = self.etcdctl("endpoint", "status", "-w", "json", endpoints=[self.etcd_endpoint(h) for h in hosts])
        by_endpoint = {self.etcd_endpoint(h): h for h in hosts}
        result = {}
        for entry in json.loads(done.stdout or "[]"):
            status = entry["Status"]
            result[by_endpoint[entry["Endpoint"]]] = {
                "member_id": status["header"]["member_id"],
                "leader": status["leader"],
                "revision": status["header"]["revision"],
                "raft_index": status["raftIndex"],
            }
        return result

    def etcd_leader_host(self) -> str:
        """The control host whose member leads raft ("" when no answering member knows one)."""
        status = self.etcd_status()
        for host, member in status.items():
            if member["member_id"] == member["leader"]:
                return host
        return ""

    def move_etcd_leader(self, to_host: str) -> None:
        """Hand raft leadership to ``to_host``'s member (``etcdctl move-leader`` at the current leader)."""
        status = self.etcd_status()
        current = self.etcd_leader_host()
        if current == to_host:
            return
        target = format(status[to_host]["member_id"], "x")
        done = self.etcdctl("move-leader", target, endpoints=[self.etcd_endpoint(current)])
        if done.returncode != 0:
            raise RuntimeError(f"move-leader {current} -> {to_host} failed: {done.stderr.strip()}")

    def meta_leader(self) -> str:
        """The meta instance holding the leader key of background work ("" when none does)."""
        done = self.etcdctl("get", "--print-value-only", "/objectio/leader")
        return done.stdout.strip() if done.returncode == 0 else ""
