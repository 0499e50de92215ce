"""A bucket's access settings, stored as named bucket settings and parsed once per distinct value:

======================== ================================================================
setting                  value
======================== ================================================================
``policy``               the policy JSON as the client sent it (validated on PUT)
``acl``                  the bucket ACL (``acl.encode``); absent: private to the owner
``public_access_block``  JSON ``{"format": 1, "BlockPublicAcls": bool, ...}``
``ownership``            ``BucketOwnerEnforced`` | ``BucketOwnerPreferred`` | ``ObjectWriter``
======================== ================================================================

A bucket created before ownership controls existed has no ``ownership`` setting and behaves as
``ObjectWriter`` (ACLs enabled).
"""

from __future__ import annotations

import functools
import json
from collections import OrderedDict
from dataclasses import dataclass

from objectio.gateway.access import acl as acls
from objectio.gateway.access import policy as policies
from objectio.gateway.backend import BucketInfo

POLICY = "policy"
ACL = "acl"
PUBLIC_ACCESS_BLOCK = "public_access_block"
OWNERSHIP = "ownership"
PAB_FORMAT_VERSION = 1
PAB_FIELDS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
BUCKET_OWNER_ENFORCED = "BucketOwnerEnforced"
BUCKET_OWNER_PREFERRED = "BucketOwnerPreferred"
OBJECT_WRITER = "ObjectWriter"
OWNERSHIP_VALUES = (BUCKET_OWNER_ENFORCED, BUCKET_OWNER_PREFERRED, OBJECT_WRITER)


@dataclass(frozen=True, slots=True)
class PublicAccessBlock:
    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False

    def encode(self) -> bytes:
        values = dict(zip(PAB_FIELDS, self.as_tuple(), strict=True))
        return json.dumps({"format": PAB_FORMAT_VERSION, **values}, separators=(",", ":")).encode()

    def as_tuple(self) -> tuple[bool, bool, bool, bool]:
        return (self.block_public_acls, self.ignore_public_acls, self.block_public_policy, self.restrict_public_buckets)


@functools.lru_cache(maxsize=1024)
def decode_pab(blob: bytes) -> PublicAccessBlock:
    document = json.loads(blob)
    if document.get("format") != PAB_FORMAT_VERSION:
        raise ValueError(f"stored public access block format {document.get('format')!r} is unknown")
    return PublicAccessBlock(*(bool(document.get(name, False)) for name in PAB_FIELDS))


@functools.lru_cache(maxsize=1024)
def _decode_acl(blob: bytes, owner: str) -> acls.Acl:
    return acls.decode(blob, owner)


NO_BLOCK = PublicAccessBlock()


@dataclass(frozen=True, slots=True)
class BucketAccess:
    """What an access decision needs to know about a bucket."""

    name: str
    owner: str
    policy: policies.Policy | None
    acl: acls.Acl
    pab: PublicAccessBlock
    ownership: str

    @property
    def acls_enabled(self) -> bool:
        return self.ownership != BUCKET_OWNER_ENFORCED


ACCESS_CACHE_ENTRIES_MAX = 256  # parsed BucketAccess kept per cached BucketInfo object
_by_info: OrderedDict[int, tuple[BucketInfo, BucketAccess]] = OrderedDict()


def access_of(info: BucketInfo) -> BucketAccess:
    """The parsed access settings of ``info``, computed once per BucketInfo object (the backend
    caches those, so a bucket's settings are parsed once per cache period)."""
    cached = _by_info.get(id(info))
    if cached is not None and cached[0] is info:
        return cached[1]
    access = _parse(info)
    _by_info[id(info)] = (info, access)  # holding info keeps its id from being reused
    if len(_by_info) > ACCESS_CACHE_ENTRIES_MAX:
        _by_info.popitem(last=False)
    return access


def _parse(info: BucketInfo) -> BucketAccess:
    settings = info.settings
    text = settings.get(POLICY)
    pab = settings.get(PUBLIC_ACCESS_BLOCK)
    return BucketAccess(
        name=info.name,
        owner=info.owner,
        policy=policies.cached(text, info.name) if text else None,
        acl=_decode_acl(settings.get(ACL, b""), info.owner),
        pab=decode_pab(pab) if pab else NO_BLOCK,
        ownership=settings.get(OWNERSHIP, OBJECT_WRITER.encode()).decode(),
    )
