"""Conditional GET/HEAD (RFC 7232 order, which S3 follows):

1. If-Match false -> 412; else, only when If-Match is absent, If-Unmodified-Since false -> 412.
2. If-None-Match matches -> 304; else, only when If-None-Match is absent,
   If-Modified-Since not modified -> 304.
"""

from __future__ import annotations

from objectio.gateway import errors
from objectio.gateway.backend import ObjectInfo
from objectio.gateway.http import http_date, parse_http_date, quote_etag


def etag_matches(header: str, etag: str) -> bool:
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == "*" or candidate.strip('"') == etag:
            return True
    return False


def check_preconditions(headers: dict[str, str], info: ObjectInfo) -> None:
    """Raise PreconditionFailed or NotModified when the request's conditions say so."""
    modified = int(info.last_modified)
    if_match = headers.get("if-match")
    if if_match is not None:
        if not etag_matches(if_match, info.etag):
            raise errors.PreconditionFailed(fields={"Condition": "If-Match"})
    else:
        since = parse_http_date(headers.get("if-unmodified-since", ""))
        if since is not None and modified > since:
            raise errors.PreconditionFailed(fields={"Condition": "If-Unmodified-Since"})
    not_modified = errors.NotModified(
        headers={"etag": quote_etag(info.etag), "last-modified": http_date(info.last_modified)}
    )
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        if etag_matches(if_none_match, info.etag):
            raise not_modified
    else:
        since = parse_http_date(headers.get("if-modified-since", ""))
        if since is not None and modified <= since:
            raise not_modified


def has_preconditions(headers: dict[str, str]) -> bool:
    return any(h in headers for h in ("if-match", "if-none-match", "if-modified-since", "if-unmodified-since"))
