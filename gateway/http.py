"""Response values handlers return, and the formats S3 puts in headers and XML."""

from __future__ import annotations

import email.utils
import functools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

XML_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
ISO8601_CACHE_SECONDS_MAX = 4096  # distinct seconds whose ISO 8601 text is kept (~100 bytes each)


@dataclass(slots=True)
class Response:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None  # streamed body; then content_length is required
    content_length: int | None = None
    first_piece: bytes | None = None  # read from ``stream`` before the status line is committed

    def header(self, name: str, value: str) -> Response:
        self.headers.append((name, value))
        return self


def xml_response(xml: str, status: int = 200) -> Response:
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n' + xml).encode("utf-8")
    return Response(status, [("content-type", "application/xml")], body)


def http_date(seconds: float) -> str:
    """RFC 1123 (``Last-Modified``)."""
    return email.utils.formatdate(int(seconds), usegmt=True)


def iso8601(seconds: float) -> str:
    """ISO 8601 with milliseconds (``LastModified`` in XML)."""
    millis = round(seconds * 1000)
    return f"{_iso8601_second(millis // 1000)}.{millis % 1000:03d}Z"


@functools.lru_cache(maxsize=ISO8601_CACHE_SECONDS_MAX)
def _iso8601_second(second: int) -> str:
    # A listing page formats up to 1,000 times, mostly a few distinct seconds: strftime is the
    # costly part, so each second is formatted once.
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


def quote_etag(etag: str) -> str:
    return f'"{etag}"'


def parse_http_date(value: str) -> float | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()
