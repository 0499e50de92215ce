"""Users and access keys in etcd (keys ``user/`` and ``ak/``), the rules of
:class:`objectio.meta.sqlite_ops.UserOps`. Users and keys are few: the per-user look-ups read
every access key and filter (no secondary index to keep consistent).
"""

from __future__ import annotations

from objectio.meta import etcd_object_ops as objects
from objectio.meta.errors import AlreadyExists, CorruptRecord, NotFound, PreconditionFailed
from objectio.meta.etcd_client import prefix_end
from objectio.meta.etcd_keys import Layout, decode, encode
from objectio.meta.etcd_txn import View
from objectio.protos import meta_pb2 as pb


async def get_user(view: View, keys: Layout, name: str) -> pb.User:
    value = await view.get(keys.user(name))
    if value is None:
        raise NotFound("user", name)
    user = decode(pb.User(), value, keys.user(name))
    if user.name != name:
        raise CorruptRecord(f"etcd key {keys.user(name)!r} holds user {user.name!r}")
    return user


async def create_user(view: View, keys: Layout, user: pb.User) -> pb.User:
    assert user.name, "user names are validated before they are stored"
    if await view.get(keys.user(user.name)) is not None:
        raise AlreadyExists("user", user.name)
    view.put(keys.user(user.name), encode(pb.User(name=user.name, is_admin=user.is_admin, created_ms=user.created_ms)))
    return user


async def _keys_of(view: View, keys: Layout, user: str) -> list[pb.AccessKey]:
    found = []
    for kv in await view.range(keys.access_keys, prefix_end(keys.access_keys)):
        key = decode(pb.AccessKey(), kv.value, kv.key)
        if keys.access_key(key.access_key) != kv.key:
            raise CorruptRecord(f"etcd key {kv.key!r} holds access key {key.access_key!r}")
        if key.user == user:
            found.append(key)
    return found


async def delete_user(view: View, keys: Layout, name: str) -> None:
    await get_user(view, keys, name)
    if await objects.list_buckets(view, keys, name):
        raise PreconditionFailed(f"user {name!r} still owns buckets")
    for key in await _keys_of(view, keys, name):
        view.delete(keys.access_key(key.access_key))
    view.delete(keys.user(name))


async def list_users(view: View, keys: Layout) -> list[pb.User]:
    return [decode(pb.User(), kv.value, kv.key) for kv in await view.range(keys.users, prefix_end(keys.users))]


async def create_access_key(view: View, keys: Layout, key: pb.AccessKey, replace_secret: bool) -> pb.AccessKey:
    assert key.access_key and key.secret_key and key.user, "access keys are complete before they are stored"
    user = await get_user(view, keys, key.user)
    value = await view.get(keys.access_key(key.access_key))
    if value is not None:
        existing = decode(pb.AccessKey(), value, keys.access_key(key.access_key))
        if not (replace_secret and existing.user == key.user):
            raise AlreadyExists("access_key", key.access_key)
    stored = pb.AccessKey(
        access_key=key.access_key, secret_key=key.secret_key, user=key.user, created_ms=key.created_ms
    )
    view.put(keys.access_key(key.access_key), encode(stored))
    stored.is_admin = user.is_admin
    return stored


async def revoke_access_key(view: View, keys: Layout, access_key: str) -> None:
    if await view.get(keys.access_key(access_key)) is None:
        raise NotFound("access_key", access_key)
    view.delete(keys.access_key(access_key))


async def list_access_keys(view: View, keys: Layout, user: str) -> list[pb.AccessKey]:
    owner = await get_user(view, keys, user)
    return [
        pb.AccessKey(access_key=k.access_key, user=user, created_ms=k.created_ms, is_admin=owner.is_admin)
        for k in await _keys_of(view, keys, user)
    ]


async def lookup_access_key(view: View, keys: Layout, access_key: str) -> pb.AccessKey:
    value = await view.get(keys.access_key(access_key))
    if value is None:
        raise NotFound("access_key", access_key)
    key = decode(pb.AccessKey(), value, keys.access_key(access_key))
    try:
        user = await get_user(view, keys, key.user)
    except NotFound:
        raise NotFound("access_key", access_key) from None  # SQLite's JOIN finds no row either
    key.is_admin = user.is_admin
    return key
