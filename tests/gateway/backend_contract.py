"""The Backend contract as executable checks, for every backend (in-memory here; the cluster
backend's tests can run the same ``CHECKS`` against a live cluster).

Each check takes a backend with no bucket called ``bucket`` and an ``owner``, and leaves nothing
behind on success.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable

from objectio.gateway import backend as be


async def body(*pieces: bytes) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


async def failing_body(first: bytes, error: Exception) -> AsyncIterator[bytes]:
    yield first
    raise error


async def read_all(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([piece async for piece in stream])


async def _put(backend: be.Backend, bucket: str, key: str, data: bytes, **kwargs: object) -> be.ObjectInfo:
    request = be.PutRequest(bucket, key, body(data[: len(data) // 2], data[len(data) // 2 :]), len(data), **kwargs)  # type: ignore[arg-type]
    return await backend.put_object(request)


async def _empty(backend: be.Backend, bucket: str) -> None:
    while True:
        listing = await backend.list_objects(bucket, max_keys=1000)
        for obj in listing.objects:
            await backend.delete_object(bucket, obj.key)
        if not listing.is_truncated:
            break
    await backend.delete_bucket(bucket)


async def check_buckets(backend: be.Backend, bucket: str, owner: str) -> None:
    created = await backend.create_bucket(bucket, owner)
    assert (created.name, created.owner) == (bucket, owner)
    assert (await backend.head_bucket(bucket)).owner == owner
    assert bucket in [b.name for b in await backend.list_buckets(owner)]
    try:
        await backend.create_bucket(bucket, owner)
        raise AssertionError("a second create succeeded")
    except be.BucketAlreadyExists as exc:
        assert exc.owned_by_you
    try:
        await backend.create_bucket(bucket, owner + "-other")
        raise AssertionError("a second create succeeded")
    except be.BucketAlreadyExists as exc:
        assert not exc.owned_by_you
    await _put(backend, bucket, "k", b"x")
    try:
        await backend.delete_bucket(bucket)
        raise AssertionError("deleted a bucket that is not empty")
    except be.BucketNotEmpty:
        pass
    await _empty(backend, bucket)
    try:
        await backend.head_bucket(bucket)
        raise AssertionError("deleted bucket still there")
    except be.BucketNotFound:
        pass


async def check_put_get(backend: be.Backend, bucket: str, owner: str) -> None:
    await backend.create_bucket(bucket, owner)
    data = bytes(range(256)) * 1000
    info = await _put(
        backend, bucket, "a/../b", data, content_type="text/x", user_meta={"m": "v"}, headers={"cache-control": "no"}
    )
    assert info.etag == hashlib.md5(data).hexdigest() and info.size == len(data)
    head = await backend.head_object(bucket, "a/../b")
    assert (head.content_type, head.user_meta, head.headers.get("cache-control")) == ("text/x", {"m": "v"}, "no")
    got, stream = await backend.get_object(bucket, "a/../b")
    assert got.etag == info.etag and await read_all(stream) == data
    _, ranged = await backend.get_object(bucket, "a/../b", (10, 19))
    assert await read_all(ranged) == data[10:20]
    _, last = await backend.get_object(bucket, "a/../b", (len(data) - 1, len(data) - 1))
    assert await read_all(last) == data[-1:]
    await _put(backend, bucket, "empty", b"")
    _, empty = await backend.get_object(bucket, "empty")
    assert await read_all(empty) == b""
    await backend.delete_object(bucket, "never-existed")  # absent keys delete fine
    try:
        await backend.head_object(bucket, "never-existed")
        raise AssertionError("absent key found")
    except be.ObjectNotFound:
        pass
    await _empty(backend, bucket)


async def check_failed_puts_leave_nothing(backend: be.Backend, bucket: str, owner: str) -> None:
    await backend.create_bucket(bucket, owner)
    try:
        await _put(backend, bucket, "md5", b"data", expected_md5=hashlib.md5(b"other").digest())
        raise AssertionError("a wrong Content-MD5 was accepted")
    except be.DigestMismatch:
        pass
    failing = be.PutRequest(bucket, "broken", failing_body(b"x" * 100, ValueError("client gone")), 200)
    try:
        await backend.put_object(failing)
        raise AssertionError("a failing body was committed")
    except ValueError:
        pass
    try:
        await backend.put_object(be.PutRequest(bucket, "short", body(b"abc"), 10))
        raise AssertionError("a short body was committed")
    except be.IncompleteBody:
        pass
    await _put(backend, bucket, "once", b"1", if_none_match_star=True)
    try:
        await _put(backend, bucket, "once", b"2", if_none_match_star=True)
        raise AssertionError("If-None-Match: * replaced an object")
    except be.PreconditionFailed:
        pass
    listing = await backend.list_objects(bucket)
    assert [o.key for o in listing.objects] == ["once"]
    await _empty(backend, bucket)


async def check_listing(backend: be.Backend, bucket: str, owner: str) -> None:
    await backend.create_bucket(bucket, owner)
    for key in ("a/1", "a/2", "b", "c/x/1", "c/y", "d"):
        await _put(backend, bucket, key, b"v")
    flat = await backend.list_objects(bucket, max_keys=4)
    assert [o.key for o in flat.objects] == ["a/1", "a/2", "b", "c/x/1"] and flat.is_truncated
    assert flat.next_marker == "c/x/1"
    grouped = await backend.list_objects(bucket, delimiter="/", max_keys=3)
    assert (grouped.common_prefixes, [o.key for o in grouped.objects]) == (["a/", "c/"], ["b"])
    assert grouped.is_truncated and grouped.next_marker == "c/"
    rest = await backend.list_objects(bucket, delimiter="/", start_after="c/")
    assert ([o.key for o in rest.objects], rest.common_prefixes, rest.is_truncated) == (["d"], [], False)
    nested = await backend.list_objects(bucket, prefix="c/", delimiter="/")
    assert (nested.common_prefixes, [o.key for o in nested.objects]) == (["c/x/"], ["c/y"])
    await _empty(backend, bucket)


async def check_object_owner_and_acl(backend: be.Backend, bucket: str, owner: str) -> None:
    """Owner and ACL are stored with the object; put_object_acl replaces only the ACL; a new PUT of
    the key brings its own."""
    await backend.create_bucket(bucket, owner, settings={"acl": b"bucket-acl"})
    try:
        assert (await backend.head_bucket(bucket)).settings == {"acl": b"bucket-acl"}
        for key, data in (("small", b"s"), ("large", b"L" * 300_000)):
            put = await _put(backend, bucket, key, data, owner="writer", acl=b"acl-1")
            assert (put.owner, put.acl) == ("writer", b"acl-1")
            changed = await backend.put_object_acl(bucket, key, b"acl-2")
            assert (changed.owner, changed.acl, changed.etag) == ("writer", b"acl-2", put.etag)
            head = await backend.head_object(bucket, key)
            assert (head.owner, head.acl) == ("writer", b"acl-2")
            info, stream = await backend.get_object(bucket, key)
            assert info.acl == b"acl-2" and await read_all(stream) == data
            replaced = await _put(backend, bucket, key, data)
            assert (replaced.owner, replaced.acl) == ("", b"")
        try:
            await backend.put_object_acl(bucket, "absent", b"x")
            raise AssertionError("put_object_acl of an absent key")
        except be.ObjectNotFound:
            pass
    finally:
        await _empty(backend, bucket)


CHECKS: list[Callable[[be.Backend, str, str], Awaitable[None]]] = [
    check_buckets,
    check_put_get,
    check_failed_puts_leave_nothing,
    check_listing,
    check_object_owner_and_acl,
]
