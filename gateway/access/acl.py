"""Access control lists: canned ACLs, ``x-amz-grant-*`` headers and AccessControlPolicy XML, all
turned into one :class:`Acl` (a list of grants), stored as JSON and rendered back as S3 XML.

A grantee is a user (``CanonicalUser``; its ID is our user name) or one of the S3 groups
(AllUsers = everyone including anonymous, AuthenticatedUsers = any user with a key). The owner is
not part of the stored ACL: it is the bucket's owner, or the object's recorded owner.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from objectio.gateway import errors
from objectio.gateway.http import XML_NS
from objectio.gateway.xmlio import el, parse_xml

ACL_FORMAT_VERSION = 1
GRANTS_MAX = 100  # AWS: at most 100 grants in one ACL
GROUP_PREFIX = "http://acs.amazonaws.com/groups/"
ALL_USERS = GROUP_PREFIX + "global/AllUsers"
AUTHENTICATED_USERS = GROUP_PREFIX + "global/AuthenticatedUsers"
LOG_DELIVERY = GROUP_PREFIX + "s3/LogDelivery"
GROUPS = frozenset({ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY})
PUBLIC_GROUPS = frozenset({ALL_USERS, AUTHENTICATED_USERS})
PERMISSIONS = ("FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP")
GRANT_HEADERS = {
    "x-amz-grant-full-control": "FULL_CONTROL",
    "x-amz-grant-read": "READ",
    "x-amz-grant-write": "WRITE",
    "x-amz-grant-read-acp": "READ_ACP",
    "x-amz-grant-write-acp": "WRITE_ACP",
}
XSI = "http://www.w3.org/2001/XMLSchema-instance"
BUCKET_OWNER_FULL_CONTROL = "bucket-owner-full-control"
GRANT_ITEM_RE = re.compile(r'\s*(id|uri|emailAddress)\s*=\s*("([^"]*)"|[^,\s]+)\s*(,|$)', re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Grant:
    kind: str  # "CanonicalUser" or "Group"
    grantee: str  # user name, or group URI
    permission: str  # one of PERMISSIONS


@dataclass(frozen=True, slots=True)
class Acl:
    grants: tuple[Grant, ...]

    @property
    def is_public(self) -> bool:
        """Grants anything to AllUsers or AuthenticatedUsers (what public access block looks at)."""
        return any(g.kind == "Group" and g.grantee in PUBLIC_GROUPS for g in self.grants)

    def permissions_of(self, user: str, *, ignore_public: bool) -> set[str]:
        """Permissions the ACL gives ``user`` ('' = anonymous)."""
        granted: set[str] = set()
        for g in self.grants:
            if g.kind == "CanonicalUser":
                hit = bool(user) and g.grantee == user
            elif ignore_public and g.grantee in PUBLIC_GROUPS:
                hit = False
            else:
                hit = g.grantee == ALL_USERS or (g.grantee == AUTHENTICATED_USERS and bool(user))
            if hit:
                granted.add(g.permission)
        return granted

    def is_owner_only(self, owner: str) -> bool:
        return all(g.kind == "CanonicalUser" and g.grantee == owner for g in self.grants)


def private(owner: str) -> Acl:
    return Acl((Grant("CanonicalUser", owner, "FULL_CONTROL"),))


def canned(name: str, owner: str, bucket_owner: str) -> Acl:
    """The grants of a canned ACL (``x-amz-acl``); ``bucket_owner`` matters for objects only."""
    extra: dict[str, list[tuple[str, str, str]]] = {
        "private": [],
        "public-read": [("Group", ALL_USERS, "READ")],
        "public-read-write": [("Group", ALL_USERS, "READ"), ("Group", ALL_USERS, "WRITE")],
        "authenticated-read": [("Group", AUTHENTICATED_USERS, "READ")],
        "bucket-owner-read": [("CanonicalUser", bucket_owner, "READ")],
        BUCKET_OWNER_FULL_CONTROL: [("CanonicalUser", bucket_owner, "FULL_CONTROL")],
        "log-delivery-write": [("Group", LOG_DELIVERY, "WRITE"), ("Group", LOG_DELIVERY, "READ_ACP")],
    }
    name = name.strip()
    if name not in extra:
        if name == "aws-exec-read":
            raise errors.NotImplemented("The canned ACL 'aws-exec-read' is not supported.")
        raise errors.InvalidArgument(fields={"ArgumentName": "x-amz-acl", "ArgumentValue": name})
    grants = [Grant("CanonicalUser", owner, "FULL_CONTROL")]
    grants += [Grant(*g) for g in extra[name] if g[1] != owner or g[0] != "CanonicalUser"]
    return Acl(tuple(grants))


def _grantee(kind: str, value: str) -> tuple[str, str]:
    if kind.lower() == "emailaddress":
        raise errors.UnresolvableGrantByEmailAddress()
    if kind.lower() == "uri":
        if value not in GROUPS:
            raise errors.InvalidArgument("Invalid group uri", fields={"ArgumentName": "uri", "ArgumentValue": value})
        return "Group", value
    if not value:
        raise errors.InvalidArgument("Invalid id", fields={"ArgumentName": "id", "ArgumentValue": value})
    return "CanonicalUser", value


def parse_grant_headers(headers: dict[str, str]) -> Acl | None:
    """The ACL the ``x-amz-grant-*`` headers give (None: no such header)."""
    grants: list[Grant] = []
    present = False
    for header, permission in GRANT_HEADERS.items():
        value = headers.get(header)
        if value is None:
            continue
        present = True
        position = 0
        while position < len(value):
            match = GRANT_ITEM_RE.match(value, position)
            if match is None or match.end() == position:
                raise errors.InvalidArgument(fields={"ArgumentName": header, "ArgumentValue": value})
            grants.append(Grant(*_grantee(match.group(1), match.group(3) or match.group(2)), permission))
            position = match.end()
    return _checked(grants) if present else None


def _checked(grants: list[Grant]) -> Acl:
    if len(grants) > GRANTS_MAX:
        raise errors.MalformedACLError(f"An ACL may hold at most {GRANTS_MAX} grants.")
    return Acl(tuple(dict.fromkeys(grants)))


def from_request_headers(headers: dict[str, str], owner: str, bucket_owner: str) -> Acl | None:
    """The ACL a write asks for: ``x-amz-acl`` or ``x-amz-grant-*`` (not both); None for neither."""
    granted = parse_grant_headers(headers)
    name = headers.get("x-amz-acl")
    if name is not None and granted is not None:
        raise errors.InvalidRequest("Specifying both Canned ACLs and Header Grants is not allowed")
    if name is not None:
        return canned(name, owner, bucket_owner)
    return granted


def parse_xml_policy(body: bytes) -> Acl:
    """An ``AccessControlPolicy`` document (PutBucketAcl / PutObjectAcl body)."""
    root = parse_xml(body, "AccessControlPolicy")
    listing = root.find("AccessControlList")
    if listing is None:
        raise errors.MalformedACLError()
    grants: list[Grant] = []
    for grant in listing.findall("Grant"):
        grantee, permission = grant.find("Grantee"), (grant.findtext("Permission") or "").strip()
        if grantee is None or permission not in PERMISSIONS:
            raise errors.MalformedACLError()
        kind = grantee.get(f"{{{XSI}}}type") or grantee.get("type") or ""
        if kind == "CanonicalUser":
            grants.append(Grant(*_grantee("id", (grantee.findtext("ID") or "").strip()), permission))
        elif kind == "Group":
            grants.append(Grant(*_grantee("uri", (grantee.findtext("URI") or "").strip()), permission))
        elif kind == "AmazonCustomerByEmail":
            raise errors.UnresolvableGrantByEmailAddress()
        else:
            raise errors.MalformedACLError()
    return _checked(grants)


def encode(acl: Acl) -> bytes:
    grants = [[g.kind, g.grantee, g.permission] for g in acl.grants]
    return json.dumps({"format": ACL_FORMAT_VERSION, "grants": grants}, separators=(",", ":")).encode()


def decode(blob: bytes, owner: str) -> Acl:
    """A stored ACL; empty means never set: private to ``owner``."""
    if not blob:
        return private(owner)
    document = json.loads(blob)
    if document.get("format") != ACL_FORMAT_VERSION:
        raise ValueError(f"stored ACL format {document.get('format')!r} is unknown")
    return Acl(tuple(Grant(kind, grantee, permission) for kind, grantee, permission in document["grants"]))


def owner_xml(user: str) -> str:
    return f"<Owner>{el('ID', user)}{el('DisplayName', user)}</Owner>"


def to_xml(acl: Acl, owner: str) -> str:
    """The ``AccessControlPolicy`` answer of GetBucketAcl / GetObjectAcl."""
    entries = []
    for g in acl.grants:
        if g.kind == "CanonicalUser":
            inner = f"{el('ID', g.grantee)}{el('DisplayName', g.grantee)}"
        else:
            inner = el("URI", g.grantee)
        entries.append(
            f'<Grant><Grantee xmlns:xsi="{XSI}" xsi:type="{g.kind}">{inner}</Grantee>'
            f"{el('Permission', g.permission)}</Grant>"
        )
    return (
        f'<AccessControlPolicy xmlns="{XML_NS}">{owner_xml(owner)}'
        f"<AccessControlList>{''.join(entries)}</AccessControlList></AccessControlPolicy>"
    )
