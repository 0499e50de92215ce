"""Expiry of abandoned multipart uploads.

An upload neither completed nor aborted within ``multipart_upload_expiry_seconds`` of its start
is forgotten: its rows go, so its parts' object ids become unreferenced and the OSDs' orphan
collector reclaims their fragments (after its own grace). Runs inside objectio-meta, every
``multipart_expiry_interval_seconds``, in bounded batches so a backlog never makes one huge write.
"""

from __future__ import annotations

import asyncio
import logging
import time

from objectio.common.logs import log_fields
from objectio.meta.errors import MetaStoreError
from objectio.meta.store import MetaStore

log = logging.getLogger("objectio.meta.expiry")
NS_PER_SECOND = 1_000_000_000


async def expire_once(store: MetaStore, expiry_seconds: int, now_ns: int | None = None) -> int:
    """Forget every upload older than the expiry (batch after batch); how many were forgotten."""
    assert expiry_seconds > 0, "a zero expiry would forget uploads while they are used"
    limit_ns = (now_ns if now_ns is not None else time.time_ns()) - expiry_seconds * NS_PER_SECOND
    total = 0
    while count := await store.expire_uploads(limit_ns):
        total += count
    return total


async def run_upload_expiry(store: MetaStore, expiry_seconds: int, interval_seconds: int) -> None:
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            expired = await expire_once(store, expiry_seconds)
        except MetaStoreError as exc:
            log.warning("multipart expiry failed (retried next round): %s", exc)
            continue
        if expired:
            log.info("expired multipart uploads", extra=log_fields(uploads=expired, expiry_seconds=expiry_seconds))
