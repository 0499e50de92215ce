"""The metadata service's domain errors: one list, mapped onto gRPC status codes in one place
(:mod:`objectio.meta.service`) and back onto typed exceptions in one place (:mod:`objectio.meta.client`).
"""

from __future__ import annotations

# Trailing metadata of failed calls: what was not found (bucket, object, osd, pool, user,
# access_key) and, for ALREADY_EXISTS on a bucket, whether the caller owns it ("1"/"0").
NOT_FOUND_METADATA_KEY = "x-objectio-not-found"
OWNED_BY_YOU_METADATA_KEY = "x-objectio-owned-by-you"


class MetaStoreError(Exception):
    """Base of every error the store or the servicer raises on purpose."""


class NotFound(MetaStoreError):
    """``what`` names the missing thing: bucket, object, osd, pool, user or access_key."""

    def __init__(self, what: str, name: str) -> None:
        super().__init__(f"{what} {name!r} does not exist")
        self.what = what
        self.name = name


class AlreadyExists(MetaStoreError):
    """``owner`` is set for buckets: the existing bucket's owner. ``owned_by_you`` is set by the
    servicer, which knows who asked (S3 tells BucketAlreadyOwnedByYou from BucketAlreadyExists)."""

    def __init__(self, what: str, name: str, owner: str = "", owned_by_you: bool | None = None) -> None:
        message = f"{what} {name!r} already exists"
        if owned_by_you is not None:
            message += " and is owned by you" if owned_by_you else " and is owned by someone else"
        super().__init__(message)
        self.what = what
        self.name = name
        self.owner = owner
        self.owned_by_you = owned_by_you


class PreconditionFailed(MetaStoreError):
    """The call is valid but the current state forbids it (bucket not empty, key exists, ...)."""


class InvalidArgument(MetaStoreError):
    """The request itself is malformed (bad name, oversized record, ...)."""


class Overloaded(MetaStoreError):
    """The write queue is full: the caller should back off (RESOURCE_EXHAUSTED)."""


class Unavailable(MetaStoreError):
    """The store cannot serve right now: SQLite failed to read or write (disk error, disk
    full), or the store is closing (UNAVAILABLE: the caller may retry, elsewhere or later)."""


class StoreClosed(Unavailable):
    """The store is closed, shutting down, or its writer stopped."""


class CorruptRecord(MetaStoreError):
    """A persisted row failed its checks when read back (DATA_LOSS)."""
