"""Hosts as Linux network namespaces on one private bridge — the network of the multi-host tests.

Topology; nothing is added to the root namespace, so test traffic never leaves our namespaces::

    ns <prefix>-br   bridge br0 ─┬─ v0 ══ veth ══ eth0  ns <prefix>-<host0>  10.a.b.1/24, lo up
                                 ├─ v1 ══ veth ══ eth0  ns <prefix>-<host1>  10.a.b.2/24, lo up
                                 └─ ...

``prefix`` is ``oio<pid>n<seq>``: unique per test process and per network in it, so parallel runs
(and other engineers' harnesses) never share a name. Each veth pair is created from inside the
bridge namespace with its peer put straight into the host's namespace, so not even a transient
interface appears in the root namespace. The /24 is chosen from 10.200.0.0/13 so that it overlaps
no address or route of the root namespace (checked with ``ip -j`` at creation): the addresses
live only in our namespaces anyway, but this keeps captures and logs unambiguous.

Faults: :meth:`Network.kill_processes` SIGKILLs every process in a host's namespace (``ip netns
pids``, so forked children are included); :meth:`Network.cut` downs the bridge side of its veth
(a pulled cable: peers see timeouts, the host keeps its address); :meth:`Network.heal` undoes it.
:meth:`Network.close` kills every process and deletes every namespace; it is idempotent.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import ipaddress
import itertools
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

CLONE_NEWNET = 0x40000000
SUBNET_POOL = ipaddress.IPv4Network("10.200.0.0/13")
HOSTS_PER_NETWORK_MAX = 250  # .1 .. .250 of the /24
KILL_WAIT_SECONDS = 10.0
_sequence = itertools.count()


class NetnsError(RuntimeError):
    """An ``ip`` command failed; the message carries the command and its stderr."""


def ip(*args: str, check: bool = True) -> str:
    argv = ["ip", *args]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if check and proc.returncode != 0:
        raise NetnsError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout


def unavailable_reason() -> str | None:
    """Why namespaces cannot be used here (None when they can)."""
    if os.geteuid() != 0:
        return "network namespaces need root (CI runs the tests as root)"
    try:
        ip("-V")
    except (OSError, NetnsError) as exc:
        return f"the ip command (iproute2) is not usable: {exc}"
    return None


def root_networks() -> list[ipaddress.IPv4Network]:
    """Every IPv4 prefix the root namespace has an address in or a route to (default route aside)."""
    found: list[ipaddress.IPv4Network] = []
    for link in json.loads(ip("-j", "-4", "addr") or "[]"):
        for info in link.get("addr_info", []):
            found.append(ipaddress.IPv4Network(f"{info['local']}/{info['prefixlen']}", strict=False))
    for route in json.loads(ip("-j", "-4", "route") or "[]"):
        dst = route.get("dst", "")
        if dst and dst != "default":
            found.append(ipaddress.IPv4Network(dst if "/" in dst else f"{dst}/32", strict=False))
    return found


def choose_subnet(seed: int) -> ipaddress.IPv4Network:
    """A /24 of SUBNET_POOL that overlaps nothing in the root namespace, starting at ``seed``."""
    taken = root_networks()
    candidates = list(SUBNET_POOL.subnets(new_prefix=24))
    for offset in range(len(candidates)):
        subnet = candidates[(seed + offset) % len(candidates)]
        if not any(subnet.overlaps(other) for other in taken):
            return subnet
    raise NetnsError(f"every /24 of {SUBNET_POOL} overlaps an address or route of the root namespace")


@contextmanager
def inside(netns: str) -> Iterator[None]:
    """Move the calling *thread* into ``netns`` (sockets it creates meanwhile belong there), then back."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)

    def setns(fd: int) -> None:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise NetnsError(f"setns into {netns}: {os.strerror(err)}")

    original = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{netns}", os.O_RDONLY)
    try:
        setns(target)
        try:
            yield
        finally:
            setns(original)
    finally:
        os.close(target)
        os.close(original)


@dataclass(frozen=True)
class NetHost:
    name: str  # the test's name for it: "meta", "h1", ...
    netns: str  # the namespace: "<prefix>-<name>"
    address: str  # its IPv4 address on the bridge
    veth: str  # the bridge-side end of its veth (in the bridge namespace)

    @property
    def exec_prefix(self) -> list[str]:
        """Run a command on this host: ``[*exec_prefix, *argv]`` (``ip netns exec`` execs in place)."""
        return ["ip", "netns", "exec", self.netns]


class Network:
    """A bridge namespace plus one namespace per host; see the module docstring."""

    def __init__(self, label: str = "oio") -> None:
        self.prefix = f"{label}{os.getpid()}n{next(_sequence)}"
        self.subnet = choose_subnet(os.getpid())
        self.bridge_netns = f"{self.prefix}-br"
        self.hosts: dict[str, NetHost] = {}
        self._created: list[str] = []  # namespaces to delete, in creation order
        self._add_netns(self.bridge_netns)
        ip("-n", self.bridge_netns, "link", "add", "br0", "type", "bridge")
        ip("-n", self.bridge_netns, "link", "set", "br0", "up")

    def _add_netns(self, netns: str) -> None:
        ip("netns", "add", netns)
        self._created.append(netns)
        ip("-n", netns, "link", "set", "lo", "up")

    def add_host(self, name: str) -> NetHost:
        if name in self.hosts:
            raise NetnsError(f"host {name!r} already exists in {self.prefix}")
        index = len(self.hosts)
        if index >= HOSTS_PER_NETWORK_MAX:
            raise NetnsError(f"{self.prefix}: more than {HOSTS_PER_NETWORK_MAX} hosts")
        host = NetHost(name, f"{self.prefix}-{name}", str(self.subnet.network_address + index + 1), f"v{index}")
        self._add_netns(host.netns)
        br = self.bridge_netns
        ip("-n", br, "link", "add", host.veth, "type", "veth", "peer", "name", "eth0", "netns", host.netns)
        ip("-n", br, "link", "set", host.veth, "master", "br0", "up")
        ip("-n", host.netns, "addr", "add", f"{host.address}/{self.subnet.prefixlen}", "dev", "eth0")
        ip("-n", host.netns, "link", "set", "eth0", "up")
        self.hosts[name] = host
        return host

    def pids(self, name: str) -> list[int]:
        out = ip("netns", "pids", self.hosts[name].netns, check=False)
        return [int(word) for word in out.split()]

    def kill_processes(self, name: str) -> list[int]:
        """SIGKILL every process in the host's namespace until none is left; the pids killed."""
        killed: list[int] = []
        deadline = time.monotonic() + KILL_WAIT_SECONDS
        while pids := self.pids(name):
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                except ProcessLookupError:
                    pass
            if time.monotonic() > deadline:
                raise NetnsError(f"processes {pids} of host {name} survive SIGKILL")
            time.sleep(0.05)
        return killed

    def cut(self, name: str) -> None:
        ip("-n", self.bridge_netns, "link", "set", self.hosts[name].veth, "down")

    def heal(self, name: str) -> None:
        ip("-n", self.bridge_netns, "link", "set", self.hosts[name].veth, "up")

    def close(self) -> None:
        """Kill every process of every host, delete every namespace; raise the first failure after trying all."""
        errors: list[str] = []
        for name in list(self.hosts):
            try:
                self.kill_processes(name)
            except NetnsError as exc:
                errors.append(str(exc))
        for netns in reversed(self._created):
            try:
                ip("netns", "del", netns)
            except NetnsError as exc:
                errors.append(str(exc))
        self._created.clear()
        self.hosts.clear()
        if errors:
            raise NetnsError("; ".join(errors))
