"""Plain-dict views of the metadata service's messages: what ``--json`` prints and what the
tables show, in one place so both agree."""

from __future__ import annotations

import time
from typing import Any

from objectio.common.pools import PoolError, PoolSpec, PoolType
from objectio.protos import meta_pb2


def osd_view(osd: meta_pb2.Osd, now_ms: int | None = None) -> dict[str, Any]:
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    last = osd.last_heartbeat_ms
    return {
        "id": osd.id,
        "host": osd.host,
        "address": osd.address,
        "disk": osd.disk,
        "disk_uuid": osd.disk_uuid,
        "up": osd.up == meta_pb2.OSD_UP,
        "in": getattr(osd, "in") == meta_pb2.OSD_IN,
        "capacity_bytes": osd.capacity_bytes,
        "used_bytes": osd.used_bytes,
        "full": osd.full,
        "free_bytes": max(0, osd.capacity_bytes - osd.used_bytes),
        "weight": round(osd.weight, 4),
        "last_heartbeat_ms": last,
        "heartbeat_age_seconds": round((now_ms - last) / 1000, 1) if last else None,
    }


def pool_spec(pool: meta_pb2.Pool) -> PoolSpec | None:
    """The validated spec, or None when this build cannot interpret the pool."""
    try:
        return PoolSpec(
            name=pool.name,
            type=PoolType(pool.type),
            k=pool.k,
            m=pool.m,
            local_groups=pool.local_groups,
            stripe_unit_bytes=pool.stripe_unit_bytes or (1 << 20),
        )
    except (PoolError, ValueError):
        return None


def pool_view(pool: meta_pb2.Pool, default_pool: str = "") -> dict[str, Any]:
    spec = pool_spec(pool)
    view: dict[str, Any] = {
        "name": pool.name,
        "type": meta_pb2.PoolType.Name(pool.type).removeprefix("POOL_").lower(),
        "k": pool.k,
        "m": pool.m,
        "local_groups": pool.local_groups,
        "stripe_unit_bytes": pool.stripe_unit_bytes,
        "default": pool.name == default_pool,
    }
    if spec is not None:
        view.update(
            fragments=spec.fragments,
            failure_tolerance=spec.failure_tolerance,
            write_quorum=spec.write_quorum,
            overhead=round(spec.fragments / spec.k, 3),
            stripe_data_bytes=spec.stripe_data_bytes,
        )
    return view


def fragment_role(spec: PoolSpec | None, index: int) -> str:
    """``data``, ``parity``, ``local-parity`` or ``global-parity`` (LRC), ``?`` without a spec."""
    if spec is None:
        return "?"
    if index < spec.k:
        return "data"
    if spec.type is PoolType.LRC:
        return "local-parity" if spec.local_group_of(index) is not None else "global-parity"
    return "parity"


def bucket_view(bucket: meta_pb2.Bucket) -> dict[str, Any]:
    return {"name": bucket.name, "owner": bucket.owner, "pool": bucket.pool, "created_ms": bucket.created_ms}


def user_view(user: meta_pb2.User) -> dict[str, Any]:
    return {"name": user.name, "is_admin": user.is_admin, "created_ms": user.created_ms}


def key_view(key: meta_pb2.AccessKey) -> dict[str, Any]:
    view: dict[str, Any] = {
        "access_key": key.access_key,
        "user": key.user,
        "is_admin": key.is_admin,
        "created_ms": key.created_ms,
    }
    if key.secret_key:
        view["secret_key"] = key.secret_key
    return view


def iso_ms(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms / 1000)) if ms else "-"
