"""An ObjectIO cluster spread over network-namespace "hosts": the multi-host test harness.

Layout (every name below is a namespace of :class:`~tests.netns.network.Network`):

* ``client`` — holds no daemon; the test reaches the cluster through :class:`Forwarder` threads
  that connect from here (``endpoint`` = the gateway's S3 port, ``meta_address`` = meta's gRPC);
* ``meta`` — ``objectio-meta``; ``gw`` — ``objectio-gateway``;
* ``h1`` .. ``hN`` — one to a few ``objectio-osd`` each on file-backed (sparse) disks, every
  OSD's failure domain (``--host``) being its namespace's name.

Daemons are the real console scripts started with :func:`objectio.cli.launch.make_daemon`
(the all-in-one's command lines, environment and ready files) under ``ip netns exec``. Each
namespace has its own port space, so the ports are fixed (:data:`META_PORT` ...). Files live in
``<root>/<host>/`` (``disks/``, ``meta/``, ``run/``, ``logs/``). :meth:`close` kills every process,
deletes every namespace and removes everything but the logs (kept for post-mortems).

Faults: :meth:`kill_host` (SIGKILL every process of the host), :meth:`cut_host` /
:meth:`heal_host` (down/up its link to the bridge), :meth:`restart_host` (start its daemons
again on their existing disks). More hosts and daemons can join — :meth:`add_host`,
:meth:`add_daemon` (ObjectIO daemons), :meth:`add_command` (anything else, e.g. etcd) — and
:meth:`forward` reaches any host's port from the test process. :mod:`tests.netns.etcd_hosts` is
such a layout: etcd members, two meta instances and two gateways on hosts of their own.

Reproduce a failure: ``pytest tests/netns -x -q``; logs of every daemon are under the test's
``tmp_path`` in ``<host>/logs/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from objectio.cli.launch import (
    Daemon,
    daemon_env,
    gateway_args,
    load_or_create_credentials,
    make_daemon,
    meta_args,
    osd_args,
    wait_http_ready,
)
from tests.netns.forward import Forwarder
from tests.netns.network import NetHost, Network

META_PORT = 9100
GATEWAY_PORT = 9000
OSD_PORT_BASE = 7000  # OSD i of a host listens on OSD_PORT_BASE + i
DISK_SIZE_BYTES = 1 << 30  # sparse: only what is written takes space
CLIENT, META, GATEWAY = "client", "meta", "gw"  # host names
GATEWAY_DAEMON = "gateway"


class MultiHostCluster:
    """``osds_per_host[i]`` OSDs on host ``h{i+1}``; use as a context manager (or call close())."""

    def __init__(
        self,
        root: Path,
        osds_per_host: Sequence[int],
        extra_env: dict[str, str] | None = None,
        disk_size_bytes: int = DISK_SIZE_BYTES,
    ) -> None:
        if not osds_per_host or min(osds_per_host) < 0:
            raise ValueError(f"osds_per_host must list a count per host, got {list(osds_per_host)}")
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.credentials = load_or_create_credentials(self.root)
        # One gateway worker: a namespace test is about hosts, not encode throughput (2 cores).
        self.env = daemon_env(self.credentials, {"OBJECTIO_GATEWAY_WORKERS": "1", **(extra_env or {})})
        self.disk_size_bytes = disk_size_bytes
        self.osds_per_host = list(osds_per_host)
        self.network: Network | None = None
        self.daemons: dict[str, Daemon] = {}
        self.daemon_host: dict[str, str] = {}  # daemon name -> host name
        self.forwarders: dict[tuple[str, int], Forwarder] = {}  # (address, port) inside -> forwarder
        self.unready: set[str] = set()  # daemons that write no ready file (add_command)

    # ---- set-up ----------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    @property
    def net(self) -> Network:
        if self.network is None:
            raise RuntimeError("the cluster's network is not up (start() not called, or closed)")
        return self.network

    @property
    def osd_hosts(self) -> list[str]:
        return [f"h{i + 1}" for i in range(len(self.osds_per_host))]

    def host(self, name: str) -> NetHost:
        return self.net.hosts[name]

    def host_dir(self, name: str) -> Path:
        return self.root / name

    @property
    def meta_address_inside(self) -> str:
        """Meta's address as daemons in the namespaces reach it."""
        return f"{self.host(META).address}:{META_PORT}"

    def add_host(self, name: str) -> NetHost:
        """One more namespace host on the bridge (before or after start())."""
        host = self.net.add_host(name)
        self.host_dir(name).mkdir(parents=True, exist_ok=True)
        return host

    def add_daemon(self, host: str, name: str, module: str, args: Sequence[str]) -> Daemon:
        """Define (not start) an ObjectIO daemon of ``module`` on ``host``; it writes a ready file."""
        daemon = make_daemon(name, module, args, self.env, self.host_dir(host), wrap=self.host(host).exec_prefix)
        return self._adopt(host, daemon)

    def add_command(self, host: str, name: str, argv: Sequence[str], env: dict[str, str] | None = None) -> Daemon:
        """Define (not start) any other program on ``host`` (e.g. etcd). It writes no ready file,
        so start_host does not wait for it: poll it yourself (through :meth:`forward`).
        kill_host, cut_host and restart_host treat it like ours."""
        state = self.host_dir(host)
        daemon = Daemon(
            name,
            [*self.host(host).exec_prefix, *argv],
            env if env is not None else self.env,
            ready_file=state / "run" / f"{name}.ready",
            log_file=state / "logs" / f"{name}.log",
        )
        self.unready.add(name)
        return self._adopt(host, daemon)

    def _adopt(self, host: str, daemon: Daemon) -> Daemon:
        if daemon.name in self.daemons:
            raise ValueError(f"a daemon named {daemon.name!r} already exists")
        self.daemons[daemon.name] = daemon
        self.daemon_host[daemon.name] = host
        return daemon

    def forward(self, host: str, port: int) -> str:
        """``127.0.0.1:<port>`` in the test process that connects to ``host``:``port`` from the
        client namespace (one forwarder per target, made on first use)."""
        target = (self.host(host).address, port)
        if target not in self.forwarders:
            self.forwarders[target] = Forwarder(self.host(CLIENT).netns, *target)
        return self.forwarders[target].address

    def start(self) -> None:
        self.network = Network()
        for name in (CLIENT, META, GATEWAY, *self.osd_hosts):
            self.add_host(name)
        meta = self.host(META)
        self.add_daemon(
            META,
            "meta",
            "objectio.meta.main",
            meta_args(meta.address, META_PORT, self.host_dir(META) / "meta", self.credentials.access_key),
        )
        for host, count in zip(self.osd_hosts, self.osds_per_host, strict=True):
            for index in range(count):
                self._define_osd(host, index)
        args = gateway_args(self.host(GATEWAY).address, GATEWAY_PORT, self.meta_address_inside)
        self.add_daemon(GATEWAY, GATEWAY_DAEMON, "objectio.gateway.main", args)
        self.start_host(META)
        for host in self.osd_hosts:
            self.start_host(host, wait=False)
        for host in self.osd_hosts:
            self.wait_host(host)
        self.start_host(GATEWAY)

    def _define_osd(self, host: str, index: int) -> None:
        disk = self.host_dir(host) / "disks" / f"osd{index}.img"
        disk.parent.mkdir(parents=True, exist_ok=True)
        address = self.host(host).address
        args = osd_args(
            disk, self.disk_size_bytes, address, OSD_PORT_BASE + index, self.meta_address_inside, self.host(host).netns
        )
        self.add_daemon(host, f"{host}-osd{index}", "objectio.osd.main", args)

    # ---- addresses seen from the test process ----------------------------------------------------

    @property
    def endpoint(self) -> str:
        """The gateway's S3 endpoint (through the client namespace)."""
        return f"http://{self.forward(GATEWAY, GATEWAY_PORT)}"

    @property
    def meta_address(self) -> str:
        """Meta's gRPC address (through the client namespace), for MetaClient or objectio-cli --meta."""
        return self.forward(META, META_PORT)

    def osd_address(self, daemon: str) -> str:
        """The address an OSD registers with meta (``ClusterMap.osds[].address``)."""
        index = int(daemon.rpartition("osd")[2])
        return f"{self.host(self.daemon_host[daemon]).address}:{OSD_PORT_BASE + index}"

    def daemons_of(self, host: str) -> list[str]:
        return [name for name, where in self.daemon_host.items() if where == host]

    # ---- lifecycle and faults --------------------------------------------------------------------

    def start_host(self, host: str, wait: bool = True) -> None:
        """Start every daemon of ``host`` that is not running."""
        for name in self.daemons_of(host):
            if not self.daemons[name].alive():
                self.daemons[name].start()
        if wait:
            self.wait_host(host)

    def wait_host(self, host: str) -> None:
        for name in self.daemons_of(host):
            if name not in self.unready:
                self.daemons[name].wait_ready()
        if GATEWAY_DAEMON in self.daemons_of(host):
            gateway = self.daemons[GATEWAY_DAEMON]
            wait_http_ready(self.endpoint, gateway.alive, gateway.tail)

    def kill_host(self, host: str) -> list[int]:
        """SIGKILL every process of the host (daemons and anything they forked); the pids killed."""
        killed = self.net.kill_processes(host)
        for name in self.daemons_of(host):
            self.daemons[name].reap()
        return killed

    def cut_host(self, host: str) -> None:
        """Take the host off the network (its processes keep running)."""
        self.net.cut(host)

    def heal_host(self, host: str) -> None:
        self.net.heal(host)

    def restart_host(self, host: str) -> None:
        """Kill the host's processes (if any), then start its daemons again on their disks."""
        self.kill_host(host)
        self.start_host(host)

    def close(self) -> None:
        for forwarder in self.forwarders.values():
            forwarder.close()
        self.forwarders.clear()
        try:
            if self.network is not None:
                self.network.close()
        finally:
            self.network = None
            for daemon in self.daemons.values():
                daemon.kill()  # a daemon outside every namespace cannot exist; reaps what close() killed
            for host_dir in self.root.iterdir() if self.root.exists() else []:
                for child in host_dir.iterdir() if host_dir.is_dir() else []:
                    if child.is_dir() and child.name != "logs":
                        shutil.rmtree(child)
                    elif not child.is_dir():
                        child.unlink()
