"""The metadata service's domain errors: one list, mapped onto gRPC status codes in one place
(:mod:`objectio.meta.service`) and back onto typed exceptions in one place (:mod:`objectio.meta.client`).
"""

from __future__ import annotations


class MetaStoreError(Exception):
    """Base of every error the store or the servicer raises on purpose."""


class NotFound(MetaStoreError):
    """``what`` names the missing thing: bucket, object, osd, pool, user or access_key."""

    def __init__(self, what: str, name: str) -> None:
        super().__init__(f"{what} {name!r} does not exist")
        self.what = what
        self.name = name


class AlreadyExists(MetaStoreError):
    """``owner`` is set for buckets: the existing bucket's owner."""

    def __init__(self, what: str, name: str, owner: str = "") -> None:
        super().__init__(f"{what} {name!r} already exists")
        self.what = what
        self.name = name
        self.owner = owner


class PreconditionFailed(MetaStoreError):
    """The call is valid but the current state forbids it (bucket not empty, key exists, ...)."""


class InvalidArgument(MetaStoreError):
    """The request itself is malformed (bad name, oversized record, ...)."""


class Overloaded(MetaStoreError):
    """The write queue is full: the caller should back off (RESOURCE_EXHAUSTED)."""


class StoreClosed(MetaStoreError):
    """The store is shutting down or its writer died (UNAVAILABLE)."""


class CorruptRecord(MetaStoreError):
    """A persisted row failed its checks when read back (DATA_LOSS)."""
