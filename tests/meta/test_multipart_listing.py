"""ListMultipartUploads against a brute-force model: seeded random keys (multi-byte characters,
delimiters), random prefixes, delimiters, markers and page sizes, and full paginations."""

from __future__ import annotations

import random

from objectio.meta.store import MetaStore
from objectio.protos import meta_pb2 as pb

SEED = 20261122
ALPHABET = ["a", "b", "/", "-", "é", "z"]

Entry = tuple[str, str]  # (key, upload_id) of an upload, or (common prefix, "") of a rollup


def model(uploads: list[Entry], request: pb.ListMultipartUploadsRequest, limit: int) -> tuple[list[Entry], bool]:
    prefix, delimiter, marker, id_marker = (
        request.prefix, request.delimiter, request.key_marker, request.upload_id_marker
    )  # fmt: skip
    entries: list[Entry] = []
    for key, upload_id in sorted(uploads, key=lambda e: (e[0].encode(), e[1])):
        if not key.startswith(prefix):
            continue
        cut = key.find(delimiter, len(prefix)) if delimiter else -1
        if cut >= 0:
            common = key[: cut + len(delimiter)]
            after = common.encode() > marker.encode() and not marker.startswith(common)
            if after and (common, "") not in entries:
                entries.append((common, ""))
            continue
        if key.encode() > marker.encode() or (key == marker and id_marker and upload_id > id_marker):
            entries.append((key, upload_id))
    return entries[:limit], len(entries) > limit


def flatten(reply: pb.ListMultipartUploadsReply) -> list[Entry]:
    entries = [(u.key, u.upload_id) for u in reply.uploads] + [(p, "") for p in reply.common_prefixes]
    return sorted(entries, key=lambda e: e[0].encode())


async def test_listing_matches_the_model(store: MetaStore) -> None:
    rng = random.Random(SEED)
    uploads: list[Entry] = []
    for _ in range(250):
        key = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 6)))
        upload = await store.create_upload(pb.MultipartUpload(bucket="photos", key=key, owner="alice", initiated_ns=1))
        uploads.append((key, upload.upload_id))
    for case in range(150):
        marker_source = rng.choice(uploads)
        request = pb.ListMultipartUploadsRequest(
            bucket="photos",
            prefix=rng.choice(["", "a", "a/", "é", "b-"]),
            delimiter=rng.choice(["", "/", "-", "é"]),
            key_marker=rng.choice(["", marker_source[0], marker_source[0][:2]]),
            upload_id_marker=rng.choice(["", marker_source[1]]),
        )
        limit = rng.choice([1, 2, 5, 1000])
        reply = await store.list_uploads(request, limit)
        expected, truncated = model(uploads, request, limit)
        assert (flatten(reply), reply.is_truncated) == (sorted(expected, key=lambda e: e[0].encode()), truncated), (
            f"seed {SEED} case {case}: {request} limit {limit}"
        )
        # paginating with the reply's markers yields exactly the rest of the model's listing
        everything, _ = model(uploads, request, 10_000)
        seen = flatten(reply)
        while reply.is_truncated:
            request.key_marker, request.upload_id_marker = reply.next_key_marker, reply.next_upload_id_marker
            reply = await store.list_uploads(request, limit)
            seen += flatten(reply)
        assert seen == everything, f"seed {SEED} case {case}: pagination of {request}"
