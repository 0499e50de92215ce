"""A faithful in-memory :class:`Backend` for the gateway tests.

Semantics the production backend must share: the MD5 ETag; ``expected_md5`` and any exception
from the body iterator abort the PUT with nothing visible; ranges are inclusive; listing honours
prefix / delimiter / start_after / max_keys with common prefixes counting toward max_keys.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
import uuid
from collections.abc import AsyncIterator

from objectio.gateway import backend as be


class MemoryBackend:
    def __init__(
        self,
        keys: list[be.AccessKey] | None = None,
        *,
        read_chunk_bytes: int = 64 * 1024,
        part_bytes_min: int = be.MULTIPART_PART_BYTES_MIN,
    ) -> None:
        self.keys = {k.access_key: k for k in keys or []}
        self.buckets: dict[str, be.BucketInfo] = {}
        self.objects: dict[str, dict[str, tuple[be.ObjectInfo, bytes]]] = {}
        self.is_ready = True
        self.read_chunk_bytes = read_chunk_bytes
        self.put_chunk_sizes: list[int] = []  # sizes of body pieces received, for bounded-chunk checks
        self.part_bytes_min = part_bytes_min
        self.uploads: dict[str, tuple[be.MultipartUpload, dict[int, tuple[be.PartInfo, bytes]]]] = {}

    async def lookup_key(self, access_key: str) -> be.AccessKey | None:
        return self.keys.get(access_key)

    async def create_bucket(
        self, name: str, owner: str, pool: str | None = None, settings: dict[str, bytes] | None = None
    ) -> be.BucketInfo:
        existing = self.buckets.get(name)
        if existing is not None:
            raise be.BucketAlreadyExists(name, owned_by_you=existing.owner == owner)
        info = be.BucketInfo(name, owner, time.time(), pool or "default", dict(settings or {}))
        self.buckets[name] = info
        self.objects[name] = {}
        return info

    async def put_bucket_setting(self, name: str, setting: str, value: bytes | None) -> be.BucketInfo:
        if name not in self.buckets:
            raise be.BucketNotFound(name)
        settings = dict(self.buckets[name].settings)
        if value is None:
            settings.pop(setting, None)
        else:
            settings[setting] = value
        info = dataclasses.replace(self.buckets[name], settings=settings)
        self.buckets[name] = info
        return info

    async def delete_bucket(self, name: str) -> None:
        if name not in self.buckets:
            raise be.BucketNotFound(name)
        if self.objects[name]:
            raise be.BucketNotEmpty(name)
        del self.buckets[name]
        del self.objects[name]

    async def head_bucket(self, name: str, *, fresh: bool = False) -> be.BucketInfo:
        if name not in self.buckets:
            raise be.BucketNotFound(name)
        return self.buckets[name]

    async def list_buckets(self, owner: str) -> list[be.BucketInfo]:
        return [b for b in self.buckets.values() if b.owner == owner]

    def _bucket(self, name: str) -> dict[str, tuple[be.ObjectInfo, bytes]]:
        if name not in self.objects:
            raise be.BucketNotFound(name)
        return self.objects[name]

    async def _drain(self, body: AsyncIterator[bytes], length: int | None, expected_md5: bytes | None) -> bytes:
        md5 = hashlib.md5()
        parts = []
        async for piece in body:
            self.put_chunk_sizes.append(len(piece))
            md5.update(piece)
            parts.append(piece)
        data = b"".join(parts)
        if length is not None and len(data) != length:
            raise be.IncompleteBody(f"{len(data)} != {length}")
        if expected_md5 is not None and md5.digest() != expected_md5:
            raise be.DigestMismatch("Content-MD5")
        return data

    async def put_object(self, request: be.PutRequest) -> be.ObjectInfo:
        objects = self._bucket(request.bucket)
        if request.if_none_match_star and request.key in objects:
            raise be.PreconditionFailed(request.key)
        data = await self._drain(request.body, request.content_length, request.expected_md5)
        md5 = hashlib.md5(data)
        if request.if_none_match_star and request.key in objects:
            raise be.PreconditionFailed(request.key)
        info = be.ObjectInfo(
            bucket=request.bucket,
            key=request.key,
            size=len(data),
            etag=md5.hexdigest(),
            last_modified=time.time(),
            content_type=request.content_type,
            user_meta=dict(request.user_meta),
            headers=dict(request.headers),  # read after the body: trailer checksums are in by now
            tags=dict(request.tags),
            owner=request.owner,
            acl=request.acl,
        )
        objects[request.key] = (info, data)
        return info

    async def head_object(self, bucket: str, key: str, version_id: str | None = None) -> be.ObjectInfo:
        objects = self._bucket(bucket)
        if version_id not in (None, "null"):  # buckets here are never versioned
            raise be.NoSuchVersion(f"{key} {version_id}")
        if key not in objects:
            raise be.ObjectNotFound(key)
        return objects[key][0]

    async def get_object(
        self, bucket: str, key: str, byte_range: tuple[int, int] | None = None, version_id: str | None = None
    ) -> tuple[be.ObjectInfo, AsyncIterator[bytes]]:
        objects = self._bucket(bucket)
        if version_id not in (None, "null"):
            raise be.NoSuchVersion(f"{key} {version_id}")
        if key not in objects:
            raise be.ObjectNotFound(key)
        info, data = objects[key]
        if byte_range is not None:
            first, last = byte_range
            if not 0 <= first <= last < info.size:
                raise ValueError(f"range {byte_range} outside object of {info.size} bytes")
            data = data[first : last + 1]
        return info, self._stream(data)

    async def _stream(self, data: bytes) -> AsyncIterator[bytes]:
        for start in range(0, len(data), self.read_chunk_bytes):
            yield data[start : start + self.read_chunk_bytes]

    async def delete_object(self, bucket: str, key: str, version_id: str | None = None) -> be.DeleteResult:
        if version_id in (None, "null"):
            self._bucket(bucket).pop(key, None)
        return be.DeleteResult(version_id)

    async def put_object_acl(self, bucket: str, key: str, acl: bytes) -> be.ObjectInfo:
        objects = self._bucket(bucket)
        if key not in objects:
            raise be.ObjectNotFound(key)
        info, data = objects[key]
        info = dataclasses.replace(info, acl=acl)
        objects[key] = (info, data)
        return info

    async def list_objects(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        start_after: str = "",
        max_keys: int = 1000,
    ) -> be.ListResult:
        objects = self._bucket(bucket)
        found: list[be.ListEntry] = []
        prefixes: list[str] = []
        last = ""
        truncated = False
        for key in sorted(objects):
            if not key.startswith(prefix) or key <= start_after:
                continue
            common = ""
            if delimiter:
                cut = key.find(delimiter, len(prefix))
                if cut >= 0:
                    common = key[: cut + len(delimiter)]
            if common and ((prefixes and prefixes[-1] == common) or common <= start_after):
                continue
            if len(found) + len(prefixes) == max_keys:
                truncated = True
                break
            if common:
                prefixes.append(common)
                last = common
            else:
                info = objects[key][0]
                found.append(be.ListEntry(info.key, info.size, info.etag, info.last_modified))
                last = key
        return be.ListResult(found, prefixes, truncated, last if truncated else None)

    async def ready(self) -> bool:
        return self.is_ready

    # ---- multipart -------------------------------------------------------------------------------

    def _upload(self, bucket: str, key: str, upload_id: str) -> dict[int, tuple[be.PartInfo, bytes]]:
        self._bucket(bucket)
        entry = self.uploads.get(upload_id)
        if entry is None or (entry[0].bucket, entry[0].key) != (bucket, key):
            raise be.NoSuchUpload(upload_id)
        return entry[1]

    async def create_multipart_upload(
        self,
        bucket: str,
        key: str,
        owner: str,
        *,
        content_type: str = "binary/octet-stream",
        user_meta: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
        object_owner: str = "",
        acl: bytes = b"",
    ) -> be.MultipartUpload:
        self._bucket(bucket)
        upload = be.MultipartUpload(
            bucket, key, uuid.uuid4().hex, owner, time.time(), content_type, dict(user_meta or {}),
            dict(headers or {}), object_owner, acl,
        )  # fmt: skip
        self.uploads[upload.upload_id] = (upload, {})
        return upload

    async def upload_part(self, request: be.PartRequest) -> be.PartInfo:
        parts = self._upload(request.bucket, request.key, request.upload_id)
        data = await self._drain(request.body, request.content_length, request.expected_md5)
        info = be.PartInfo(
            request.part_number, len(data), hashlib.md5(data).hexdigest(), time.time(), dict(request.headers)
        )
        parts[request.part_number] = (info, data)
        return info

    async def complete_multipart_upload(
        self, bucket: str, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> be.ObjectInfo:
        stored = self._upload(bucket, key, upload_id)
        chosen = []
        for number, etag in parts:
            if number not in stored or stored[number][0].etag != etag:
                raise be.InvalidPart(f"part {number}")
            chosen.append(stored[number])
        if any(info.size < self.part_bytes_min for info, _ in chosen[:-1]):
            raise be.EntityTooSmall(upload_id)
        upload = self.uploads.pop(upload_id)[0]
        digest = hashlib.md5(b"".join(bytes.fromhex(info.etag) for info, _ in chosen)).hexdigest()
        data = b"".join(piece for _, piece in chosen)
        info = be.ObjectInfo(
            bucket, key, len(data), f"{digest}-{len(chosen)}", time.time(), upload.content_type,
            dict(upload.user_meta), dict(upload.headers), part_sizes=tuple(i.size for i, _ in chosen),
            owner=upload.object_owner, acl=upload.acl,
        )  # fmt: skip
        self.objects[bucket][key] = (info, data)
        return info

    async def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        self._upload(bucket, key, upload_id)
        del self.uploads[upload_id]

    async def list_parts(
        self, bucket: str, key: str, upload_id: str, *, part_number_marker: int = 0, max_parts: int = 1000
    ) -> be.PartListing:
        stored = self._upload(bucket, key, upload_id)
        numbers = sorted(n for n in stored if n > part_number_marker)
        return be.PartListing([stored[n][0] for n in numbers[:max_parts]], len(numbers) > max_parts)

    async def list_multipart_uploads(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        upload_id_marker: str = "",
        max_uploads: int = 1000,
    ) -> be.UploadListing:
        self._bucket(bucket)
        found = sorted(
            (u for u, _ in self.uploads.values() if u.bucket == bucket and u.key.startswith(prefix)),
            key=lambda u: (u.key, u.upload_id),
        )

        def after_markers(u: be.MultipartUpload) -> bool:
            same_key_later = bool(upload_id_marker) and u.key == key_marker and u.upload_id > upload_id_marker
            return u.key > key_marker or same_key_later

        found = [u for u in found if after_markers(u)]
        if not delimiter:
            return be.UploadListing(found[:max_uploads], len(found) > max_uploads)
        entries: list[tuple[str, be.MultipartUpload | None]] = []  # (key or common prefix, upload)
        for u in found:
            cut = u.key.find(delimiter, len(prefix))
            if cut < 0:
                entries.append((u.key, u))
                continue
            common = u.key[: cut + len(delimiter)]
            if not key_marker.startswith(common) and not (entries and entries[-1][0] == common):
                entries.append((common, None))
        page, truncated = entries[:max_uploads], len(entries) > max_uploads
        last = page[-1] if truncated and page else None
        return be.UploadListing(
            [u for _, u in page if u is not None],
            truncated,
            [name for name, u in page if u is None],
            next_key_marker=last[0] if last else None,
            next_upload_id_marker=(last[1].upload_id if last[1] else "") if last else None,
        )
