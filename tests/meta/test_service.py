"""MetaService over a real grpc.aio server on 127.0.0.1, driven through MetaClient."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import urllib.request
from pathlib import Path

import pytest
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from objectio.common.logs import JsonFormatter, request_id
from objectio.meta.client import (
    MetaAlreadyExists,
    MetaClient,
    MetaInvalidArgument,
    MetaNotFound,
    MetaPreconditionFailed,
    MetaUnauthenticated,
    MetaUnavailable,
)
from objectio.meta.server import start_server
from objectio.protos import meta_pb2 as pb
from tests.meta.conftest import ROOT_AK, ROOT_SK, TOKEN, Running, meta_config, record


async def test_calls_without_the_cluster_token_are_refused(meta: Running) -> None:
    for token in ("", "wrong-token"):
        intruder = await MetaClient.connect(meta.address, token)
        try:
            with pytest.raises(MetaUnauthenticated):
                await intruder.get_cluster_map()
            with pytest.raises(MetaUnauthenticated):
                async for _ in intruder.watch_cluster_map(0):
                    pass
        finally:
            await intruder.close()
    assert (await meta.client.get_cluster_map()).cluster_id


async def test_health_service_answers_without_a_token(meta: Running) -> None:
    async with aio.insecure_channel(meta.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        reply = await stub.Check(health_pb2.HealthCheckRequest(service="objectio.meta.v1.MetaService"))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


class _RequestIds(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.getMessage(), request_id.get()))


async def test_request_id_follows_the_call(meta: Running) -> None:
    handler = _RequestIds()
    logging.getLogger("objectio.meta").addHandler(handler)
    logging.getLogger("objectio.meta").setLevel(logging.INFO)
    try:
        token = request_id.set("req-0042")
        try:
            await meta.client.create_user("carol")
        finally:
            request_id.reset(token)
    finally:
        logging.getLogger("objectio.meta").removeHandler(handler)
    assert ("user created", "req-0042") in handler.seen


async def test_first_start_bootstrap(meta: Running) -> None:
    cmap = await meta.client.get_cluster_map()
    assert {p.name for p in cmap.pools} == {"rs-4-2", "rs-8-4", "lrc-8-2-2"}
    assert cmap.default_pool == "rs-4-2"
    root = await meta.client.lookup_access_key(ROOT_AK)
    assert (root.user, root.secret_key, root.is_admin) == ("admin", ROOT_SK, True)
    users = (await meta.client.list_users()).users
    assert [(u.name, u.is_admin) for u in users] == [("admin", True)]


async def test_osd_lifecycle_with_down_marking_and_watch(meta: Running) -> None:
    client = meta.client
    start = (await client.get_cluster_map()).epoch
    seen: list[pb.ClusterMap] = []

    async def watch() -> None:
        async for cmap in client.watch_cluster_map(start):
            seen.append(cmap)

    watcher = asyncio.create_task(watch())
    reply = await client.register_osd(
        address="127.0.0.1:9201", host="h1", disk="/d1", disk_uuid="u1", capacity_bytes=1 << 30
    )
    assert (reply.osd_id, reply.heartbeat_interval_ms) == (1, 100)
    cmap = await client.get_cluster_map()
    assert cmap.epoch == start + 1 and cmap.osds[0].up == pb.OSD_UP
    with pytest.raises(MetaPreconditionFailed):
        await client.register_osd(address="x:1", cluster_id="someone-else")
    with pytest.raises(MetaNotFound) as missing:
        await client.heartbeat(42, capacity_bytes=1, used_bytes=0)
    assert missing.value.what == "osd"

    until = time.monotonic() + meta.config.osd_down_grace_ms / 1000 + 0.5
    while time.monotonic() < until:  # heartbeats keep it up past the grace
        beat = await client.heartbeat(1, capacity_bytes=1 << 30, used_bytes=4096)
        assert beat.epoch == start + 1
        await asyncio.sleep(0.1)
    cmap = await client.get_cluster_map()
    assert cmap.osds[0].up == pb.OSD_UP and cmap.osds[0].used_bytes == 4096

    deadline = time.monotonic() + 5
    while (await client.get_cluster_map()).osds[0].up == pb.OSD_UP:  # silence: marked down
        assert time.monotonic() < deadline, "OSD never marked down"
        await asyncio.sleep(0.05)
    assert (await client.get_cluster_map()).epoch == start + 2
    assert (await client.heartbeat(1, capacity_bytes=1 << 30, used_bytes=0)).epoch == start + 3  # back up

    again = await client.register_osd(osd_id=1, address="127.0.0.1:9301", disk_uuid="u1", cluster_id=cmap.cluster_id)
    assert again.osd_id == 1
    with pytest.raises(MetaInvalidArgument):
        await client.set_osd_state(1)
    await client.set_osd_state(1, set_out=True)
    final = await client.set_osd_state(1, remove=True)
    assert not final.osds and final.epoch == start + 6
    while len(seen) < 1 or seen[-1].epoch < final.epoch:
        await asyncio.sleep(0.01)
    watcher.cancel()
    assert [m.epoch for m in seen] == sorted({m.epoch for m in seen}) and seen[0].epoch > start


async def test_an_osd_holding_fragments_cannot_be_removed(meta: Running) -> None:
    client = meta.client
    for i in range(6):
        await client.register_osd(address=f"h:{i}", disk_uuid=f"u{i}", capacity_bytes=1 << 30)
    await client.create_bucket("data", "admin")
    rec = pb.ObjectRecord(bucket="data", key="big", size=10, object_id=b"\x01" * 16, pool="rs-4-2")
    rec.stripes.add(osd_ids=[1, 2, 3, 4, 5, 6], length=10)
    await client.put_object(rec)
    await client.set_osd_state(3, set_out=True)
    with pytest.raises(MetaPreconditionFailed):
        await client.set_osd_state(3, remove=True)
    status = await client.get_status()
    assert (status.object_count, status.degraded_stripes, status.capacity_bytes) == (1, 0, 5 << 30)
    bad = pb.ObjectRecord(bucket="data", key="bad", size=10, object_id=b"\x02" * 16, pool="rs-4-2")
    bad.stripes.add(osd_ids=[1, 2, 3], length=10)
    with pytest.raises(MetaInvalidArgument):
        await client.put_object(bad)


async def test_pools(meta: Running) -> None:
    pool = pb.Pool(name="rs-2-1", type=pb.POOL_RS_VAND, k=2, m=1, stripe_unit_bytes=65536)
    created = await meta.client.create_pool(pool)
    assert created.format_version == 1
    assert "rs-2-1" in [p.name for p in (await meta.client.get_cluster_map()).pools]
    with pytest.raises(MetaAlreadyExists):
        await meta.client.create_pool(pool)
    with pytest.raises(MetaInvalidArgument):
        await meta.client.create_pool(pb.Pool(name="bad", k=0, m=1))


async def test_buckets(meta: Running) -> None:
    client = meta.client
    bucket = await client.create_bucket("photos", "alice")
    assert (bucket.pool, bucket.owner) == ("rs-4-2", "alice") and bucket.created_ms > 0
    with pytest.raises(MetaAlreadyExists) as mine:
        await client.create_bucket("photos", "alice")
    assert mine.value.owned_by_you and "owned by you" in mine.value.detail
    with pytest.raises(MetaAlreadyExists) as theirs:
        await client.create_bucket("photos", "bob")
    assert not theirs.value.owned_by_you
    for name in ("ab", "Upper", "-x-", "a..b", "10.0.0.1", "x" * 64):
        with pytest.raises(MetaInvalidArgument):
            await client.create_bucket(name, "alice")
    with pytest.raises(MetaNotFound) as no_pool:
        await client.create_bucket("nopool", "alice", pool="missing")
    assert no_pool.value.what == "pool"
    await client.create_bucket("logs", "bob", pool="rs-8-4")
    assert [b.name for b in (await client.list_buckets()).buckets] == ["logs", "photos"]
    assert [b.name for b in (await client.list_buckets("bob")).buckets] == ["logs"]
    await client.put_object(record("logs", "k"))
    with pytest.raises(MetaPreconditionFailed):
        await client.delete_bucket("logs")
    await client.delete_object("logs", "k")
    await client.delete_bucket("logs")
    with pytest.raises(MetaNotFound) as gone:
        await client.get_bucket("logs")
    assert gone.value.what == "bucket"


async def test_bucket_settings(meta: Running) -> None:
    client = meta.client
    created = await client.create_bucket("tagged", "alice", settings={"ownership": b"BucketOwnerEnforced"})
    assert dict(created.settings) == {"ownership": b"BucketOwnerEnforced"}
    updated = await client.put_bucket_setting("tagged", "policy", b'{"Statement": []}')
    assert dict(updated.settings) == {"ownership": b"BucketOwnerEnforced", "policy": b'{"Statement": []}'}
    assert dict((await client.get_bucket("tagged")).settings) == dict(updated.settings)
    assert "policy" not in (await client.put_bucket_setting("tagged", "policy", None)).settings
    assert not (await client.list_buckets("alice")).buckets[0].settings  # listings leave them out
    with pytest.raises(MetaNotFound):
        await client.put_bucket_setting("nosuchbucket", "policy", b"{}")
    for name, value in (("Bad-Name", b"x"), ("", b"x"), ("policy", b"x" * ((256 << 10) + 1))):
        with pytest.raises(MetaInvalidArgument):
            await client.put_bucket_setting("tagged", name, value)
    with pytest.raises(MetaInvalidArgument):
        await client.create_bucket("badsettings", "alice", settings={"UPPER": b""})


async def test_objects(meta: Running) -> None:
    client = meta.client
    await client.create_bucket("photos", "alice")
    first = await client.put_object(record("photos", "a/1", data=b"one"))
    assert not first.has_replaced
    second = await client.put_object(record("photos", "a/1", data=b"two"))
    assert second.has_replaced and second.replaced.inline_data == b"one"
    with pytest.raises(MetaPreconditionFailed):
        await client.put_object(record("photos", "a/1"), if_none_match=True)
    got = await client.get_object("photos", "a/1")
    assert (got.inline_data, got.pool, got.format_version) == (b"two", "rs-4-2", 1)
    await client.put_object(record("photos", "a/2"))
    await client.put_object(record("photos", "b"))
    listing = await client.list_objects("photos", delimiter="/")
    assert (list(listing.common_prefixes), list(listing.keys)) == (["a/"], ["b"])
    assert (list(listing.sizes), list(listing.etags), list(listing.is_inline)) == ([3], ["e-b"], [True])
    page = await client.list_objects("photos", max_keys=2)
    assert page.is_truncated and page.next_marker == "a/2" and list(page.keys) == ["a/1", "a/2"]
    assert list(page.mtimes_ns) == [1, 1]
    deleted = await client.delete_object("photos", "a/1")
    assert deleted.existed and deleted.deleted.inline_data == b"two"
    assert not (await client.delete_object("photos", "a/1")).existed
    with pytest.raises(MetaNotFound) as missing_key:
        await client.get_object("photos", "a/1")
    assert missing_key.value.what == "object"
    with pytest.raises(MetaNotFound) as missing_bucket:
        await client.get_object("nope", "a/1")
    assert missing_bucket.value.what == "bucket"
    with pytest.raises(MetaNotFound):
        await client.put_object(record("nope", "k"))
    oversized = record("photos", "big", data=b"x" * (meta.config.inline_data_bytes_max + 1))
    with pytest.raises(MetaInvalidArgument):
        await client.put_object(oversized)
    with pytest.raises(MetaInvalidArgument):
        await client.put_object(record("photos", "k" * 1025))
    with pytest.raises(MetaInvalidArgument):
        await client.put_object(pb.ObjectRecord(bucket="photos", key="no-id", size=1))
    referenced = b"\x07" * 16
    await client.put_object(record("photos", "ec", object_id=referenced))
    unreferenced = await client.find_unreferenced([referenced, b"\x08" * 16])
    assert list(unreferenced.object_ids) == [b"\x08" * 16]


async def test_set_object_acl_compares_and_sets(meta: Running) -> None:
    client = meta.client
    await client.create_bucket("acls", "alice")
    stored = record("acls", "k")
    stored.owner, stored.mtime_ns = "bob", 42
    await client.put_object(stored)
    request = pb.SetObjectAclRequest(bucket="acls", key="k", mtime_ns=42, acl=b'{"grants":[]}')
    updated = await client.set_object_acl(request)
    assert (updated.acl, updated.owner, updated.inline_data) == (b'{"grants":[]}', "bob", b"abc")
    got = await client.get_object("acls", "k")
    assert got.acl == b'{"grants":[]}' and got.owner == "bob"
    with pytest.raises(MetaPreconditionFailed):  # another version now: its ACL is not ours to change
        await client.set_object_acl(pb.SetObjectAclRequest(bucket="acls", key="k", mtime_ns=41, acl=b"x"))
    with pytest.raises(MetaPreconditionFailed):
        await client.set_object_acl(pb.SetObjectAclRequest(bucket="acls", key="k", object_id=b"\x01" * 16, mtime_ns=42))
    with pytest.raises(MetaNotFound) as missing:
        await client.set_object_acl(pb.SetObjectAclRequest(bucket="acls", key="absent"))
    assert missing.value.what == "object"
    with pytest.raises(MetaInvalidArgument):
        too_big = b"x" * (meta.config.bucket_setting_bytes_max + 1)
        await client.set_object_acl(pb.SetObjectAclRequest(bucket="acls", key="k", mtime_ns=42, acl=too_big))
    assert (await client.get_object("acls", "k")).acl == b'{"grants":[]}'


async def test_users_and_keys(meta: Running) -> None:
    client = meta.client
    user = await client.create_user("dave")
    assert not user.is_admin and user.created_ms > 0
    with pytest.raises(MetaAlreadyExists):
        await client.create_user("dave")
    with pytest.raises(MetaInvalidArgument):
        await client.create_user("no spaces")
    key = await client.create_access_key("dave")
    assert len(key.access_key) == 20 and len(key.secret_key) == 40
    looked_up = await client.lookup_access_key(key.access_key)
    assert (looked_up.secret_key, looked_up.user, looked_up.is_admin) == (key.secret_key, "dave", False)
    chosen = await client.create_access_key("dave", "DAVEKEY", "dave-secret-1")
    assert chosen.secret_key == "dave-secret-1"
    with pytest.raises(MetaInvalidArgument):
        await client.create_access_key("dave", "DAVEKEY2", "short")
    with pytest.raises(MetaNotFound):
        await client.create_access_key("ghost")
    keys = (await client.list_access_keys("dave")).keys
    assert sorted(k.access_key for k in keys) == sorted([key.access_key, "DAVEKEY"])
    assert all(k.secret_key == "" for k in keys)
    await client.revoke_access_key("DAVEKEY")
    with pytest.raises(MetaNotFound) as gone:
        await client.lookup_access_key("DAVEKEY")
    assert gone.value.what == "access_key"
    await client.delete_user("dave")
    assert [u.name for u in (await client.list_users()).users] == ["admin"]


async def test_concurrent_puts_share_commits(meta: Running) -> None:
    """SQLite batches concurrent writes into shared commits; etcd commits each transaction on
    its own (its raft log batches below us): there the test checks every write is counted."""
    client = meta.client
    await client.create_bucket("load", "admin")
    stats = meta.server.store.writer_stats
    commits_before = stats.commits
    count, concurrency = 800, 32
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            await client.put_object(record("load", f"obj/{i:05d}", data=b"x" * 512))

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.monotonic() - started
    commits = stats.commits - commits_before
    print(f"{count} PutObject at c={concurrency}: {count / elapsed:.0f}/s, {count / commits:.1f} writes per commit")
    if meta.config.backend == "sqlite":
        assert commits < count / 2, f"{count} puts took {commits} commits: group commit is not batching"
    else:
        assert commits >= count, f"{count} puts, {commits} etcd transactions counted"
    assert (await client.get_status()).object_count == count


async def test_watch_reconnects_across_a_restart(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = meta_config(tmp_path / "meta", listen_port=port)
    server = await start_server(config, now_ms=1)
    client = await MetaClient.connect(f"127.0.0.1:{port}", TOKEN)
    seen: list[int] = []

    async def watch() -> None:
        async for cmap in client.watch_cluster_map(0):
            seen.append(cmap.epoch)

    watcher = asyncio.create_task(watch())
    try:
        while not seen:
            await asyncio.sleep(0.01)
        first = seen[-1]
        await server.stop(grace_s=0.1)
        await asyncio.sleep(0.3)  # the watcher is retrying against a dead port
        server = await start_server(config, now_ms=2)
        deadline = time.monotonic() + 15
        while True:  # unary calls fail fast (UNAVAILABLE) until the channel has reconnected
            try:
                await client.create_pool(pb.Pool(name="after-restart", k=2, m=1, stripe_unit_bytes=65536))
                break
            except MetaUnavailable:
                assert time.monotonic() < deadline, "the channel never reconnected"
                await asyncio.sleep(0.05)
        while not seen or seen[-1] <= first:
            assert time.monotonic() < deadline, f"watch never resumed: {seen}"
            await asyncio.sleep(0.02)
        assert seen == sorted(set(seen))
    finally:
        watcher.cancel()
        await client.close()
        await server.stop(grace_s=0.1)


async def test_secrets_never_reach_the_logs(meta: Running) -> None:
    lines: list[str] = []
    formatter = JsonFormatter("meta")

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(formatter.format(record))

    handler = Capture(level=logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        secret = "very-secret-value-123"
        await meta.client.create_user("erin")
        await meta.client.create_access_key("erin", "ERINKEY", secret)
        with pytest.raises(MetaAlreadyExists):
            await meta.client.create_access_key("erin", "ERINKEY", secret)
        assert (await meta.client.lookup_access_key("ERINKEY")).secret_key == secret
        await meta.client.revoke_access_key("ERINKEY")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    assert lines, "nothing was logged: the capture is broken"
    assert not [line for line in lines if secret in line or ROOT_SK in line or TOKEN in line]


async def test_prometheus_metrics(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        metrics_port = probe.getsockname()[1]
    server = await start_server(meta_config(tmp_path / "m", metrics_port=metrics_port), now_ms=1)
    client = await MetaClient.connect(f"127.0.0.1:{server.port}", TOKEN)
    try:
        await client.create_bucket("metered", "admin")
        await asyncio.gather(*(client.put_object(record("metered", f"k{i}")) for i in range(20)))

        def scrape() -> str:
            with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as reply:
                return str(reply.read().decode())

        text = await asyncio.to_thread(scrape)
        values = {
            line.split()[0]: float(line.split()[1]) for line in text.splitlines() if line.startswith("objectio_meta_")
        }
        assert values["objectio_meta_writes_committed"] >= 21
        assert values["objectio_meta_cluster_epoch"] == (await client.get_cluster_map()).epoch
        assert values["objectio_meta_osds_up"] == 0
        assert values["objectio_meta_repair_stripes_pending"] == 0 and values["objectio_meta_repair_lost_osds"] == 0
    finally:
        await client.close()
        await server.stop(grace_s=0.1)
