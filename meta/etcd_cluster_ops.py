"""Cluster map operations of the etcd store: OSDs, pools, the default pool and the epoch.

Functions of a :class:`~objectio.meta.etcd_txn.View` (run inside :func:`etcd_txn.run`), the
same rules as :class:`objectio.meta.sqlite_ops.ClusterOps`. Every change of the map's content
reads and rewrites the cluster info key (``c/meta``) to bump the epoch, so two concurrent map
changes (from two meta instances) conflict and are serialized by the compare-and-swap.
Heartbeats change only their OSD's key (no new epoch).
"""

from __future__ import annotations

from objectio.meta.errors import AlreadyExists, CorruptRecord, NotFound, PreconditionFailed
from objectio.meta.etcd_client import prefix_end
from objectio.meta.etcd_keys import Layout, decode, decode_json, encode, encode_json
from objectio.meta.etcd_txn import View
from objectio.meta.sqlite_ops import is_full, osd_weight, same_uuid
from objectio.meta.store import OsdHeartbeat
from objectio.protos import meta_pb2 as pb


class ClusterInfo:
    """The ``c/meta`` value."""

    def __init__(self, obj: dict[str, object], key: bytes) -> None:
        try:
            self.cluster_id = str(obj["cluster_id"])
            self.epoch = int(obj["epoch"])  # type: ignore[call-overload]
            self.default_pool = str(obj["default_pool"])
            self.next_osd_id = int(obj["next_osd_id"])  # type: ignore[call-overload]
            self.created_ms = int(obj["created_ms"])  # type: ignore[call-overload]
        except (KeyError, TypeError, ValueError) as exc:
            raise CorruptRecord(f"etcd key {key!r}: bad cluster info: {exc}") from None

    def encode(self) -> bytes:
        return encode_json(
            {
                "cluster_id": self.cluster_id,
                "epoch": self.epoch,
                "default_pool": self.default_pool,
                "next_osd_id": self.next_osd_id,
                "created_ms": self.created_ms,
            }
        )


def new_cluster_info(cluster_id: str, now_ms: int) -> bytes:
    return encode_json(
        {"cluster_id": cluster_id, "epoch": 1, "default_pool": "", "next_osd_id": 1, "created_ms": now_ms}
    )


async def info(view: View, keys: Layout) -> ClusterInfo:
    value = await view.get(keys.cluster_meta)
    if value is None:
        raise CorruptRecord(f"etcd key {keys.cluster_meta!r} (the cluster info) is missing")
    return ClusterInfo(decode_json(value, keys.cluster_meta), keys.cluster_meta)


async def bump_epoch(view: View, keys: Layout) -> None:
    current = await info(view, keys)
    current.epoch += 1
    view.put(keys.cluster_meta, current.encode())


async def read_map(view: View, keys: Layout) -> pb.ClusterMap:
    """The map as of this transaction (its own writes included). Only ``c/meta`` is compared:
    every change of OSDs or pools rewrites it (heartbeats excepted, which carry no epoch)."""
    current = await info(view, keys)
    cmap = pb.ClusterMap(epoch=current.epoch, cluster_id=current.cluster_id, default_pool=current.default_pool)
    for kv in await view.range(keys.osds, prefix_end(keys.osds), track=False):
        cmap.osds.append(_decode_osd(kv.key, kv.value, keys))
    for kv in await view.range(keys.pools, prefix_end(keys.pools), track=False):
        pool = decode(pb.Pool(), kv.value, kv.key)
        if keys.pool(pool.name) != kv.key:
            raise CorruptRecord(f"etcd key {kv.key!r} holds pool {pool.name!r}")
        cmap.pools.append(pool)
    return cmap


def _decode_osd(key: bytes, value: bytes, keys: Layout) -> pb.Osd:
    osd = decode(pb.Osd(), value, key)
    if keys.osd(osd.id) != key:
        raise CorruptRecord(f"etcd key {key!r} holds osd {osd.id}")
    return osd


async def get_osd(view: View, keys: Layout, osd_id: int) -> pb.Osd | None:
    value = await view.get(keys.osd(osd_id))
    return None if value is None else _decode_osd(keys.osd(osd_id), value, keys)


def put_osd(view: View, keys: Layout, osd: pb.Osd) -> None:
    assert osd.id > 0, "osd ids start at 1"
    view.put(keys.osd(osd.id), encode(osd))


async def _find_registered(
    view: View, keys: Layout, request: pb.RegisterOsdRequest, current: ClusterInfo, adopt: bool
) -> pb.Osd | None:
    """The OSD this registration is about: by id, or by disk uuid for a disk that registered
    before but never recorded its id; None for a new OSD. With ``adopt`` (the store is being
    recovered: ``meta.cluster_id`` is set) a disk of this cluster (the caller checked its cluster
    id) with an id the store does not know is adopted with that id (``current`` then never hands
    that id out again)."""
    if request.osd_id:
        osd = await get_osd(view, keys, request.osd_id)
        if osd is None and adopt and request.cluster_id:
            current.next_osd_id = max(current.next_osd_id, request.osd_id + 1)
            adopted = pb.Osd(id=request.osd_id, up=pb.OSD_DOWN, disk_uuid=request.disk_uuid)
            setattr(adopted, "in", pb.OSD_IN)
            return adopted
        if osd is None:
            raise NotFound("osd", str(request.osd_id))
        if osd.disk_uuid and request.disk_uuid and osd.disk_uuid != request.disk_uuid:
            raise PreconditionFailed(f"osd {osd.id} is disk {osd.disk_uuid}, not {request.disk_uuid}")
        return osd
    if request.disk_uuid:  # OSDs are few: a scan of their keys (compared: c/meta guards new ones)
        for kv in await view.range(keys.osds, prefix_end(keys.osds)):
            osd = _decode_osd(kv.key, kv.value, keys)
            if osd.disk_uuid == request.disk_uuid:
                return osd
    return None


async def register_osd(
    view: View,
    keys: Layout,
    request: pb.RegisterOsdRequest,
    now_ms: int,
    full_ratio: float = 1.0,
    adopt: bool = False,
) -> tuple[pb.Osd, pb.ClusterMap]:
    current = await info(view, keys)
    if request.cluster_id and not same_uuid(request.cluster_id, current.cluster_id):
        raise PreconditionFailed(
            f"disk {request.disk_uuid or request.disk!r} belongs to cluster {request.cluster_id}, "
            f"not {current.cluster_id}"
        )
    osd = await _find_registered(view, keys, request, current, adopt)
    if osd is None:
        osd = pb.Osd(id=current.next_osd_id, up=pb.OSD_DOWN)
        setattr(osd, "in", pb.OSD_IN)
        current.next_osd_id += 1
    osd.address, osd.host, osd.disk = request.address, request.host, request.disk
    osd.disk_uuid = request.disk_uuid or osd.disk_uuid
    osd.capacity_bytes, osd.used_bytes = request.capacity_bytes, request.used_bytes
    osd.weight = osd_weight(request.capacity_bytes)
    osd.full = is_full(osd, full_ratio)
    osd.up = pb.OSD_UP
    osd.registered_ms = max(now_ms, osd.registered_ms + 1)
    osd.last_heartbeat_ms = now_ms
    put_osd(view, keys, osd)
    current.epoch += 1
    view.put(keys.cluster_meta, current.encode())
    return osd, await read_map(view, keys)


async def heartbeat(view: View, keys: Layout, beat: OsdHeartbeat) -> tuple[pb.Osd, pb.ClusterMap | None]:
    osd = await get_osd(view, keys, beat.osd_id)
    if osd is None:
        raise NotFound("osd", str(beat.osd_id))
    osd.capacity_bytes, osd.used_bytes = beat.capacity_bytes, beat.used_bytes
    osd.last_heartbeat_ms = max(beat.now_ms, osd.last_heartbeat_ms)  # clocks of two metas may differ
    came_back = osd.up != pb.OSD_UP
    full = is_full(osd, beat.full_ratio)
    changed = came_back or full != osd.full
    osd.up, osd.full = pb.OSD_UP, full
    put_osd(view, keys, osd)
    if not changed:
        return osd, None
    await bump_epoch(view, keys)
    return osd, await read_map(view, keys)


async def mark_down(view: View, keys: Layout, osd_ids: list[int], heard_before_ms: int) -> pb.ClusterMap | None:
    changed = False
    for osd_id in osd_ids:
        osd = await get_osd(view, keys, osd_id)
        if osd is not None and osd.up == pb.OSD_UP and osd.last_heartbeat_ms < heard_before_ms:
            osd.up = pb.OSD_DOWN
            put_osd(view, keys, osd)
            changed = True
    if not changed:
        return None
    await bump_epoch(view, keys)
    return await read_map(view, keys)


async def set_state(view: View, keys: Layout, osd_id: int, set_in: bool, set_out: bool, remove: bool) -> pb.ClusterMap:
    assert [set_in, set_out, remove].count(True) == 1, "exactly one state change"
    osd = await get_osd(view, keys, osd_id)
    if osd is None:
        raise NotFound("osd", str(osd_id))
    if remove:
        if getattr(osd, "in") != pb.OSD_OUT:
            raise PreconditionFailed(f"osd {osd_id} must be marked out before it is removed")
        view.delete(keys.osd(osd_id))
    else:
        wanted = pb.OSD_IN if set_in else pb.OSD_OUT
        if getattr(osd, "in") == wanted:
            return await read_map(view, keys)
        setattr(osd, "in", wanted)
        put_osd(view, keys, osd)
    await bump_epoch(view, keys)
    return await read_map(view, keys)


async def create_pool(view: View, keys: Layout, pool: pb.Pool) -> pb.ClusterMap:
    assert pool.name and pool.format_version, "pools are validated before they are stored"
    if await view.get(keys.pool(pool.name)) is not None:
        raise AlreadyExists("pool", pool.name)
    view.put(keys.pool(pool.name), encode(pool))
    await bump_epoch(view, keys)
    return await read_map(view, keys)


async def set_default_pool(view: View, keys: Layout, name: str) -> pb.ClusterMap:
    if await view.get(keys.pool(name)) is None:
        raise NotFound("pool", name)
    current = await info(view, keys)
    if current.default_pool != name:
        current.default_pool = name
        current.epoch += 1
        view.put(keys.cluster_meta, current.encode())
    return await read_map(view, keys)


async def pool_exists(view: View, keys: Layout, name: str) -> bool:
    return await view.get(keys.pool(name)) is not None
