"""The namespace network itself, without ObjectIO daemons: unique names, nothing added to the root
namespace, a forwarder reaching a server across the bridge, cut/heal, kill of forked children,
complete clean-up; and the cluster harness running a program of another kind on an added host."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.netns.forward import Forwarder
from tests.netns.harness import MultiHostCluster
from tests.netns.network import Network, ip, root_networks

pytestmark = pytest.mark.root

HTTP_PORT = 8080


def _root_links() -> set[str]:
    return set(ip("-o", "link").split("\n"))


def _netns_names() -> set[str]:
    return {line.split()[0] for line in ip("netns", "list").splitlines() if line.strip()}


@pytest.fixture()
def network() -> Iterator[Network]:
    net = Network()
    try:
        yield net
    finally:
        net.close()


def _get(url: str, timeout: float = 5.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        body: bytes = response.read()
        return body


def _wait_get(url: str, timeout: float = 15.0) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return _get(url)
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_namespaces_are_ours_and_the_root_namespace_is_untouched() -> None:
    links_before = _root_links()
    net = Network()
    try:
        hosts = [net.add_host(name) for name in ("a", "b", "c")]
        assert _root_links() == links_before, "no interface appears in the root namespace"
        assert not any(net.subnet.overlaps(other) for other in root_networks())
        names = _netns_names()
        assert {net.bridge_netns, *(h.netns for h in hosts)} <= names
        assert all(h.netns.startswith(f"oio{os.getpid()}n") for h in hosts)
        assert len({h.address for h in hosts}) == 3
        second = Network()
        second.close()
        assert second.prefix != net.prefix, "two networks of one process share a prefix"
    finally:
        net.close()
    assert not any(name.startswith(net.prefix) for name in _netns_names()), "close() deletes every namespace"


def test_forward_cut_heal_and_kill(network: Network) -> None:
    client, server = network.add_host("client"), network.add_host("server")
    # a child that forks: kill_processes must find the grandchild through the namespace
    sleeper = subprocess.Popen([*server.exec_prefix, "sh", "-c", "sleep 300 & sleep 300"])
    web = subprocess.Popen(
        [*server.exec_prefix, sys.executable, "-m", "http.server", "--bind", server.address, str(HTTP_PORT)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    forwarder = Forwarder(client.netns, server.address, HTTP_PORT)
    try:
        url = f"http://{forwarder.address}/"
        assert b"Directory listing" in _wait_get(url)

        network.cut("server")
        with pytest.raises((urllib.error.URLError, OSError)):
            _get(url, timeout=3)
        network.heal("server")
        assert b"Directory listing" in _wait_get(url)

        assert len(network.pids("server")) >= 3  # sh, its background sleep, http.server
        network.kill_processes("server")
        assert network.pids("server") == []
        assert web.wait(5) == -9 and sleeper.wait(5) == -9
        with pytest.raises((urllib.error.URLError, OSError)):
            _get(url, timeout=3)
    finally:
        forwarder.close()
        for proc in (web, sleeper):
            proc.kill()
            proc.wait()


def test_cluster_hosts_other_programs(tmp_path: Path) -> None:
    """What a later harness (etcd members, several metas) builds on: a host added after start,
    a non-ObjectIO program on it reached through forward(), and kill/restart_host for it."""
    with MultiHostCluster(tmp_path / "mh", [6]) as cluster:  # 6 OSDs: enough for the gateway to be ready
        assert cluster.net.pids("h1"), "the OSD host runs its daemon"
        web = cluster.add_host("web")
        assert web.address != cluster.host("meta").address
        argv = [sys.executable, "-m", "http.server", "--bind", web.address, str(HTTP_PORT)]
        cluster.add_command("web", "web", argv)
        cluster.start_host("web")
        url = f"http://{cluster.forward('web', HTTP_PORT)}/"
        assert b"Directory listing" in _wait_get(url)
        assert cluster.kill_host("web")
        with pytest.raises((urllib.error.URLError, OSError)):
            _get(url, timeout=3)
        cluster.restart_host("web")
        assert b"Directory listing" in _wait_get(url)
        names = {h.netns for h in cluster.net.hosts.values()}
    assert not names & _netns_names(), "closing the cluster deletes its namespaces"
    assert [p.name for p in (tmp_path / "mh" / "h1").iterdir()] == ["logs"], "disks removed, logs kept"
