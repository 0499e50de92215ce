"""The MultipartBackend contract as executable checks (as ``backend_contract.CHECKS``): run
against the in-memory backend here and against the cluster backend by ``tests/e2e``.

Each check takes a backend with no bucket called ``bucket`` and an ``owner``, and leaves nothing
behind on success.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import cast

from backend_contract import body, read_all

from objectio.gateway import backend as be

MIB = 1 << 20


async def _part(backend: be.MultipartBackend, upload: be.MultipartUpload, number: int, data: bytes) -> be.PartInfo:
    request = be.PartRequest(upload.bucket, upload.key, upload.upload_id, number, body(data), len(data))
    return await backend.upload_part(request)


def _fails(error: type[Exception]) -> Callable[[Awaitable[object]], Awaitable[None]]:
    async def run(call: Awaitable[object]) -> None:
        try:
            await call
        except error:
            return
        raise AssertionError(f"expected {error.__name__}")

    return run


async def check_multipart_complete(plain: be.Backend, bucket: str, owner: str) -> None:
    backend = cast(be.MultipartBackend, plain)
    await backend.create_bucket(bucket, owner)
    upload = await backend.create_multipart_upload(bucket, "mp", owner, content_type="text/x-mp", user_meta={"a": "b"})
    first, second = bytes(range(256)) * (5 * MIB // 256), b"tail bytes"
    replaced = await _part(backend, upload, 1, b"replaced soon")
    p1 = await _part(backend, upload, 1, first)
    p2 = await _part(backend, upload, 2, second)
    assert (replaced.etag, p1.etag) == (hashlib.md5(b"replaced soon").hexdigest(), hashlib.md5(first).hexdigest())
    await _part(backend, upload, 3, b"never listed")
    listed = await backend.list_parts(bucket, "mp", upload.upload_id, part_number_marker=1, max_parts=1)
    assert [(p.part_number, p.size) for p in listed.parts] == [(2, len(second))] and listed.is_truncated
    uploads = await backend.list_multipart_uploads(bucket)
    assert [(u.key, u.upload_id) for u in uploads.uploads] == [("mp", upload.upload_id)]
    await _fails(be.InvalidPart)(backend.complete_multipart_upload(bucket, "mp", upload.upload_id, [(1, "0" * 32)]))
    await _fails(be.EntityTooSmall)(
        backend.complete_multipart_upload(
            bucket, "mp", upload.upload_id, [(2, p2.etag), (3, hashlib.md5(b"never listed").hexdigest())]
        )
    )
    info = await backend.complete_multipart_upload(bucket, "mp", upload.upload_id, [(1, p1.etag), (2, p2.etag)])
    joined = hashlib.md5(bytes.fromhex(p1.etag) + bytes.fromhex(p2.etag)).hexdigest()
    assert info.etag == f"{joined}-2" and info.size == len(first) + len(second)
    head = await backend.head_object(bucket, "mp")
    assert (head.etag, head.content_type, head.user_meta) == (info.etag, "text/x-mp", {"a": "b"})
    _, stream = await backend.get_object(bucket, "mp")
    assert await read_all(stream) == first + second
    _, ranged = await backend.get_object(bucket, "mp", (len(first) - 3, len(first) + 2))
    assert await read_all(ranged) == (first + second)[len(first) - 3 : len(first) + 3]
    await _fails(be.NoSuchUpload)(backend.abort_multipart_upload(bucket, "mp", upload.upload_id))
    await backend.delete_object(bucket, "mp")
    await backend.delete_bucket(bucket)


async def check_multipart_abort_and_listing(plain: be.Backend, bucket: str, owner: str) -> None:
    backend = cast(be.MultipartBackend, plain)
    await backend.create_bucket(bucket, owner)
    await _fails(be.NoSuchUpload)(backend.list_parts(bucket, "k", "no-such-upload"))
    uploads = [await backend.create_multipart_upload(bucket, key, owner) for key in ("a/1", "a/2", "b", "c")]
    await _part(backend, uploads[0], 1, b"x" * 100)
    page = await backend.list_multipart_uploads(bucket, max_uploads=2)
    assert [u.key for u in page.uploads] == ["a/1", "a/2"] and page.is_truncated
    rest = await backend.list_multipart_uploads(bucket, key_marker="a/2")
    assert [u.key for u in rest.uploads] == ["b", "c"] and not rest.is_truncated
    grouped = await backend.list_multipart_uploads(bucket, delimiter="/")
    assert (grouped.common_prefixes, [u.key for u in grouped.uploads]) == (["a/"], ["b", "c"])
    assert [u.key for u in (await backend.list_multipart_uploads(bucket, prefix="a/")).uploads] == ["a/1", "a/2"]
    for upload in uploads:
        await backend.abort_multipart_upload(bucket, upload.key, upload.upload_id)
    await _fails(be.NoSuchUpload)(_part(backend, uploads[0], 2, b"y"))
    assert not (await backend.list_multipart_uploads(bucket)).uploads
    await backend.delete_bucket(bucket)


MULTIPART_CHECKS: list[Callable[[be.Backend, str, str], Awaitable[None]]] = [
    check_multipart_complete,
    check_multipart_abort_and_listing,
]
