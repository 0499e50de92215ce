"""Meta on a 3-member etcd cluster spread over namespace hosts: two meta instances, two gateways.

Hosts (:mod:`tests.netns.etcd_hosts`): ``c1`` ``c2`` ``c3`` one etcd member each, meta instances on
``c1`` and ``c2``; gateways on ``gw1`` ``gw2``; 6 OSDs on ``h1`` .. ``h3``. Every client byte crosses
the bridge from the client namespace (boto3, etcdctl, objectio-cli).

What they show: read-after-write across the two gateways; concurrent PUTs of one key through
both gateways end with one winner that both gateways return byte-exact with its ETag; and the
probe test — the host that runs both the raft leader member and the leading meta instance is
killed (SIGKILL of every process on it) under a PUT load through both gateways: no acknowledged
object is lost (each reads back byte-exact with its ETag through both gateways), PUTs fail only
inside the leader-change window and at most a bounded number, the other meta instance takes over
background work, ``objectio-cli`` with both meta addresses keeps answering, and the restarted
host's etcd member rejoins (healthy, same revision as the others) as does its meta instance.

Reproduce: ``pytest tests/netns/test_etcd_hosts.py -q`` as root; logs under the test's tmp
directory in ``<host>/logs/``.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from objectio.cli.errors import EXIT_UNREACHABLE
from tests.cli.conftest import run_cli
from tests.e2e.repair_cluster import wait_until
from tests.e2e.two_gateways import gateway_client, race_one_key
from tests.etcd_cluster import ETCD_BINARY
from tests.netns.etcd_hosts import CONTROL_HOSTS, META_HOSTS, EtcdHostsCluster, meta_instance

pytestmark = [pytest.mark.e2e, pytest.mark.root]

OSDS_PER_HOST = [2, 2, 2]  # RS 4+2 over 3 OSD hosts: two fragments per host
LOAD_BEFORE_KILL_S = 2.0
TAKEOVER_S_MAX = 25.0  # meta lease TTL (5 s) + a raft election (1 s) + a loaded 2-core machine
RECOVERY_S_MAX = 30.0  # from the kill until a PUT through each gateway succeeds again
IN_FLIGHT_SLACK_S = 1.0  # a PUT that started just before recovery may still fail
REJOIN_S_MAX = 30.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdHostsCluster]:
    if shutil.which(ETCD_BINARY) is None or shutil.which("etcdctl") is None:
        pytest.skip("etcd/etcdctl are not installed (Debian packages etcd-server, etcd-client)")
    with EtcdHostsCluster(tmp_path_factory.mktemp("etcdhosts"), OSDS_PER_HOST) as running:
        yield running


def s3(cluster: EtcdHostsCluster, endpoint: str) -> Any:
    return gateway_client(cluster.credentials, endpoint)


def clients(cluster: EtcdHostsCluster) -> list[Any]:
    return [s3(cluster, e) for e in cluster.endpoints]


def read_exact(client: Any, bucket: str, key: str, md5: str, where: str) -> None:
    got = client.get_object(Bucket=bucket, Key=key)
    body = got["Body"].read()
    assert hashlib.md5(body).hexdigest() == md5, f"{where}: {bucket}/{key} lost or changed"
    assert got["ETag"].strip('"') == md5, f"{where}: {bucket}/{key} ETag does not match its body"


def test_read_after_write_across_gateways(cluster: EtcdHostsCluster) -> None:
    a, b = clients(cluster)
    a.create_bucket(Bucket="raw")
    for i in range(16):
        writer, reader = (a, b) if i % 2 == 0 else (b, a)
        body = os.urandom(3000 if i % 4 else 1_300_000) + bytes([i])  # inline, and erasure-coded
        writer.put_object(Bucket="raw", Key=f"k{i}", Body=body)
        read_exact(reader, "raw", f"k{i}", hashlib.md5(body).hexdigest(), "read after write")
    assert len(b.list_objects_v2(Bucket="raw")["Contents"]) == 16
    a.delete_object(Bucket="raw", Key="k0")
    with pytest.raises(ClientError) as missing:
        b.head_object(Bucket="raw", Key="k0")
    assert missing.value.response["Error"]["Code"] in ("404", "NoSuchKey")


def test_concurrent_puts_of_one_key_through_both_gateways(cluster: EtcdHostsCluster) -> None:
    race_one_key(clients(cluster), "race", rounds=4)


@dataclass(frozen=True)
class Profile:
    """How hard the kill test loads the cluster: every acknowledged object is read back twice,
    so the load rate sets most of the test's runtime."""

    name: str
    threads: int
    pause_s: float  # between one thread's PUTs
    after_recovery_s: float  # load kept going once both gateways answer again


FAST = Profile("fast", threads=2, pause_s=0.1, after_recovery_s=1.5)
FULL = Profile("full", threads=4, pause_s=0.0, after_recovery_s=3.0)


@dataclass
class Failure:
    key: str
    started: float  # monotonic
    ended: float
    error: str


@dataclass
class Load:
    """PUTs of fresh keys through both gateways until stopped; what was acknowledged, what failed."""

    pair: list[Any]
    bucket: str
    profile: Profile
    acked: dict[str, str] = field(default_factory=dict)  # key -> md5 of the acknowledged body
    failures: list[Failure] = field(default_factory=list)
    wrong_etags: list[str] = field(default_factory=list)  # acknowledged with an ETag not of the body
    acked_at: list[float] = field(default_factory=list)  # monotonic time of each acknowledgement
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    threads: list[threading.Thread] = field(default_factory=list)

    def run(self, n: int) -> None:
        i = 0
        while not self.stop.is_set():
            key = f"w{n}/{i:06d}"
            body = os.urandom(4096 if i % 4 else 200_000)
            started = time.monotonic()
            try:
                reply = self.pair[(n + i) % 2].put_object(Bucket=self.bucket, Key=key, Body=body)
            except (BotoCoreError, ClientError) as exc:
                with self.lock:
                    self.failures.append(Failure(key, started, time.monotonic(), str(exc)[:200]))
            else:
                md5 = hashlib.md5(body).hexdigest()
                with self.lock:
                    self.acked[key] = md5
                    self.acked_at.append(time.monotonic())
                    if reply["ETag"].strip('"') != md5:
                        self.wrong_etags.append(key)
            i += 1
            self.stop.wait(self.profile.pause_s)

    def __enter__(self) -> Load:
        count = self.profile.threads
        self.threads = [threading.Thread(target=self.run, args=(n,), daemon=True) for n in range(count)]
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)


def put_works(pair: list[Any], bucket: str) -> list[str]:
    """The gateways through which a PUT fails now (empty: both answer)."""
    broken = []
    for n, c in enumerate(pair):
        try:
            c.put_object(Bucket=bucket, Key=f"probe{n}", Body=b"probe")
        except (BotoCoreError, ClientError) as exc:
            broken.append(f"gateway {n}: {str(exc)[:120]}")
    return broken


@pytest.mark.parametrize("profile", [FAST, pytest.param(FULL, marks=pytest.mark.slow)], ids=lambda p: p.name)
def test_kill_the_host_of_the_etcd_leader_and_the_leading_meta_under_load(
    cluster: EtcdHostsCluster, profile: Profile
) -> None:
    """The full profile (--run-slow) runs after the fast one on the same cluster: it kills the
    host that took over, so both meta hosts have been the victim once."""
    bucket = f"load-{profile.name}"
    pair = clients(cluster)
    pair[0].create_bucket(Bucket=bucket)
    phases: dict[str, float] = {"start": time.monotonic()}
    first = cluster.meta_leader()
    assert first in {meta_instance(h) for h in META_HOSTS}, f"no meta instance leads: {first!r}"
    victim = first.removeprefix("meta-")
    cluster.move_etcd_leader(victim)  # one host then holds the raft leader and the meta leader
    wait_until("the raft leader on " + victim, lambda: [] if cluster.etcd_leader_host() == victim else ["moving"], 10)
    survivor = next(h for h in META_HOSTS if h != victim)
    both = cluster.meta_address  # the killed instance first or second, whichever META_HOSTS says
    cli_env = {"OBJECTIO_CLUSTER_TOKEN": cluster.credentials.cluster_token}

    with Load(pair, bucket, profile) as load:
        time.sleep(LOAD_BEFORE_KILL_S)
        acked_before = len(load.acked)
        killed_at = time.monotonic()
        assert cluster.kill_host(victim), f"{victim} had processes to kill"
        wait_until(
            "another meta instance leads",
            lambda: [] if cluster.meta_leader() not in ("", first) else [cluster.meta_leader() or "none"],
            TAKEOVER_S_MAX,
        )
        takeover_s = time.monotonic() - killed_at
        wait_until("a PUT through each gateway succeeds", lambda: put_works(pair, bucket), RECOVERY_S_MAX)
        recovered_at = time.monotonic()
        # The CLI with both meta addresses answers while one of them is dead.
        status = run_cli(None, "--meta", both, "--timeout", "5", "status", "--json", env=cli_env).data
        assert status["meta_address"] == cluster.meta_address_of(survivor)
        assert [u.split(": ")[0] for u in status["meta_unreachable"]] == [cluster.meta_address_of(victim)]
        time.sleep(profile.after_recovery_s)
    phases["load"] = time.monotonic()
    second = cluster.meta_leader()
    acked_during = len(load.acked) - acked_before
    failures = load.failures
    times = sorted(t for t in load.acked_at if t >= killed_at)
    stall_s = max((b - a for a, b in itertools.pairwise([killed_at, *times])), default=0.0)
    print(
        f"acknowledged {len(load.acked)} PUTs ({acked_during} after the kill), {len(failures)} failed; "
        f"meta leader {first} -> {second} in {takeover_s:.1f} s, probe PUTs through both gateways (tried "
        f"after the takeover) at {recovered_at - killed_at:.1f} s; longest time without an acknowledgement "
        f"after the kill {stall_s:.1f} s"
    )
    assert second == meta_instance(survivor)
    assert not load.wrong_etags, f"PUTs acknowledged with a wrong ETag: {load.wrong_etags[:5]}"
    assert acked_during > 0, "the service stopped answering after the kill"
    before_kill = [f for f in failures if f.ended < killed_at]
    assert not before_kill, f"PUTs failed before anything was killed: {before_kill[:3]}"
    after_recovery = [f for f in failures if f.started > recovered_at + IN_FLIGHT_SLACK_S]
    assert not after_recovery, f"PUTs failed after the leader change: {after_recovery[:3]}"
    assert len(failures) <= max(20, len(load.acked) // 5), f"too many failed PUTs: {failures[:5]}"

    for key, md5 in load.acked.items():
        for n, c in enumerate(pair):
            read_exact(c, bucket, key, md5, f"gateway {n} after the kill")
    phases["read back"] = time.monotonic()

    # The killed host comes back: its etcd member on the same data directory, then its meta instance.
    cluster.start_host(victim)

    def not_caught_up() -> list[str]:
        status = cluster.etcd_status()
        if set(status) != set(CONTROL_HOSTS):
            return [f"answering: {sorted(status)}"]
        revisions = {h: s["revision"] for h, s in status.items()}
        leaders = {s["leader"] for s in status.values()}
        return [] if len(set(revisions.values())) == 1 and len(leaders) == 1 else [f"revisions {revisions}"]

    wait_until(f"etcd on {victim} rejoined at the others' revision", not_caught_up, REJOIN_S_MAX)
    phases["rejoin"] = time.monotonic()
    health = cluster.etcdctl("endpoint", "health")
    assert health.returncode == 0 and health.stderr.count("is healthy") == len(CONTROL_HOSTS), health.stderr
    members = cluster.etcdctl("member", "list")
    assert members.returncode == 0 and members.stdout.count(", started, ") == len(CONTROL_HOSTS), members.stdout
    assert cluster.meta_leader() == second, "a restarted instance must not depose the leader"
    # The restarted meta instance serves on its own (alone on the CLI's list), with the cluster's data.
    alone = run_cli(None, "--meta", cluster.meta_address_of(victim), "status", "--json", env=cli_env).data
    assert alone["meta_address"] == cluster.meta_address_of(victim) and alone["osds_up"] == sum(OSDS_PER_HOST)
    pair[1].put_object(Bucket=bucket, Key="after", Body=b"after")
    read_exact(pair[0], bucket, "after", hashlib.md5(b"after").hexdigest(), "after the restart")
    some = sorted(load.acked)[:: max(1, len(load.acked) // 20)]
    for key in some:
        read_exact(pair[1], bucket, key, load.acked[key], "after the restart")
    phases["end"] = time.monotonic()
    names = list(phases)
    print("phases: " + ", ".join(f"{b} {phases[b] - phases[a]:.1f} s" for a, b in itertools.pairwise(names)))


def test_cli_names_every_meta_address_when_all_are_down(cluster: EtcdHostsCluster) -> None:
    """Both meta hosts cut off the network: one line, both addresses, exit 4; healed, it answers."""
    for host in META_HOSTS:
        cluster.cut_host(host)
    try:
        run = run_cli(None, "--meta", cluster.meta_address, "--timeout", "2", "osd", "list", check=False,
                      env={"OBJECTIO_CLUSTER_TOKEN": cluster.credentials.cluster_token})  # fmt: skip
    finally:
        for host in META_HOSTS:
            cluster.heal_host(host)
    assert run.returncode == EXIT_UNREACHABLE, run.stderr
    assert "cannot reach any of the 2 metadata services" in run.stderr
    for host in META_HOSTS:
        assert f"{cluster.meta_address_of(host)}: " in run.stderr
    env = {"OBJECTIO_CLUSTER_TOKEN": cluster.credentials.cluster_token}
    answered: list[Any] = []

    def cli_fails() -> list[str]:
        run = run_cli(None, "--meta", cluster.meta_address, "osd", "list", "--json", check=None, env=env)
        if run.returncode == 0:
            answered.append(run.data)
        return [] if run.returncode == 0 else [run.stderr.strip()]

    wait_until("objectio-cli answers after the cut healed", cli_fails, 60)
    osds = answered[-1]
    assert len(osds) == sum(OSDS_PER_HOST)
    pair = clients(cluster)
    pair[0].create_bucket(Bucket="healed")
    wait_until("a PUT through each gateway succeeds after the cut healed", lambda: put_works(pair, "healed"), 60)
