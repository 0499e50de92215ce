"""CORS configurations of buckets: parse and validate ``CORSConfiguration`` XML, store it as
canonical JSON (the bucket setting ``cors``), render it back as XML, and find the rule that
allows a cross-origin request.

Pure protocol logic, no I/O. Matching follows the AWS rules: the first rule (in document order)
whose ``AllowedOrigin`` matches the request's ``Origin``, whose ``AllowedMethod`` holds the
method (for a preflight, ``Access-Control-Request-Method``) and whose ``AllowedHeader`` patterns
cover every header the preflight names in ``Access-Control-Request-Headers``. Origins and
headers may hold one ``*`` wildcard each; headers compare case-insensitively, origins exactly.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from objectio.gateway import errors
from objectio.gateway.http import XML_NS
from objectio.gateway.xmlio import el, parse_xml

SETTING = "cors"  # the bucket setting holding the canonical JSON
FORMAT_VERSION = 1  # of the stored JSON document
RULES_MAX = 100  # AWS
CONFIGURATION_BYTES_MAX = 64 * 1024  # AWS: a CORS configuration is at most 64 KB
RULE_ID_CHARS_MAX = 255  # AWS
METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")
RULE_ELEMENTS = frozenset({"ID", "AllowedMethod", "AllowedOrigin", "AllowedHeader", "ExposeHeader", "MaxAgeSeconds"})
# Response headers a browser may be told about: the token characters of RFC 9110.
HEADER_NAME_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"


@dataclass(frozen=True, slots=True)
class CorsRule:
    allowed_methods: tuple[str, ...]
    allowed_origins: tuple[str, ...]
    allowed_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age_seconds: int | None = None
    id: str | None = None


def _texts(rule: ET.Element, tag: str) -> tuple[str, ...]:
    return tuple((child.text or "").strip() for child in rule.findall(tag))


def _check_wildcards(kind: str, values: tuple[str, ...]) -> None:
    for value in values:
        if value.count("*") > 1:
            raise errors.InvalidRequest(f'{kind} "{value}" can not have more than one wildcard.')


def _parse_rule(element: ET.Element) -> CorsRule:
    for child in element:
        if child.tag not in RULE_ELEMENTS or len(child):
            raise errors.MalformedXML()
    methods, origins = _texts(element, "AllowedMethod"), _texts(element, "AllowedOrigin")
    if not methods or not origins or "" in origins:
        raise errors.MalformedXML()
    for method in methods:
        if method not in METHODS:
            raise errors.InvalidRequest(f"Found unsupported HTTP method in CORS config. Unsupported method is {method}")
    allowed_headers, expose_headers = _texts(element, "AllowedHeader"), _texts(element, "ExposeHeader")
    _check_wildcards("AllowedOrigin", origins)
    _check_wildcards("AllowedHeader", allowed_headers)
    for header in expose_headers:
        if not HEADER_NAME_RE.match(header) or "*" in header:
            raise errors.InvalidRequest(f"ExposeHeader {header} contains invalid character.")
    ids, max_ages = _texts(element, "ID"), _texts(element, "MaxAgeSeconds")
    if len(ids) > 1 or len(max_ages) > 1:
        raise errors.MalformedXML()
    rule_id = ids[0] if ids else None
    if rule_id is not None and len(rule_id) > RULE_ID_CHARS_MAX:
        raise errors.InvalidArgument(f"The ID of a CORS rule is at most {RULE_ID_CHARS_MAX} characters.")
    max_age = None
    if max_ages:
        if not max_ages[0].isdigit() or not max_ages[0].isascii():
            raise errors.MalformedXML()
        max_age = int(max_ages[0])
    return CorsRule(methods, origins, allowed_headers, expose_headers, max_age, rule_id)


def parse_configuration(body: bytes) -> list[CorsRule]:
    """The rules of a PutBucketCors body; MalformedXML / InvalidRequest as AWS answers them."""
    if len(body) > CONFIGURATION_BYTES_MAX:
        raise errors.MaxMessageLengthExceeded(fields={"MaxMessageLengthBytes": str(CONFIGURATION_BYTES_MAX)})
    root = parse_xml(body, "CORSConfiguration")
    if any(child.tag != "CORSRule" for child in root):
        raise errors.MalformedXML()
    rules = [_parse_rule(element) for element in root]
    if not rules or len(rules) > RULES_MAX:
        raise errors.MalformedXML()
    return rules


def encode(rules: list[CorsRule]) -> bytes:
    """The stored form: versioned, compact JSON."""
    document = {"version": FORMAT_VERSION, "rules": [asdict(rule) for rule in rules]}
    return json.dumps(document, separators=(",", ":")).encode()


def decode(stored: bytes) -> list[CorsRule]:
    document = json.loads(stored)
    if document.get("version") != FORMAT_VERSION:
        raise ValueError(f"CORS setting has unknown format version {document.get('version')!r}")
    return [
        CorsRule(
            tuple(r["allowed_methods"]),
            tuple(r["allowed_origins"]),
            tuple(r["allowed_headers"]),
            tuple(r["expose_headers"]),
            r["max_age_seconds"],
            r["id"],
        )
        for r in document["rules"]
    ]


def render(rules: list[CorsRule]) -> str:
    """The GetBucketCors document."""
    parts = []
    for rule in rules:
        parts.append(
            "<CORSRule>"
            + el("ID", rule.id)
            + "".join(el("AllowedHeader", h) for h in rule.allowed_headers)
            + "".join(el("AllowedMethod", m) for m in rule.allowed_methods)
            + "".join(el("AllowedOrigin", o) for o in rule.allowed_origins)
            + "".join(el("ExposeHeader", h) for h in rule.expose_headers)
            + el("MaxAgeSeconds", rule.max_age_seconds)
            + "</CORSRule>"
        )
    return f'<CORSConfiguration xmlns="{XML_NS}">{"".join(parts)}</CORSConfiguration>'


def wildcard_match(pattern: str, value: str) -> bool:
    """``pattern`` with at most one ``*`` (any run of characters, possibly empty)."""
    if "*" not in pattern:
        return pattern == value
    head, _, tail = pattern.partition("*")
    return len(value) >= len(head) + len(tail) and value.startswith(head) and value.endswith(tail)


def request_headers(value: str | None) -> list[str]:
    """The names listed in ``Access-Control-Request-Headers``, lower-cased."""
    if not value:
        return []
    return [name.strip().lower() for name in value.split(",") if name.strip()]


def find_rule(rules: list[CorsRule], origin: str, method: str, headers: Sequence[str] = ()) -> CorsRule | None:
    """The first rule allowing ``origin`` to send ``method`` with ``headers`` (lower-case names)."""
    for rule in rules:
        if method not in rule.allowed_methods:
            continue
        if not any(wildcard_match(pattern, origin) for pattern in rule.allowed_origins):
            continue
        patterns = [pattern.lower() for pattern in rule.allowed_headers]
        if all(any(wildcard_match(p, header) for p in patterns) for header in headers):
            return rule
    return None


def response_headers(
    rule: CorsRule, origin: str, *, preflight_headers: list[str] | None = None
) -> list[tuple[str, str]]:
    """The ``Access-Control-*`` headers a matching rule adds (to a preflight, or to a real request)."""
    any_origin = "*" in rule.allowed_origins
    headers = [("access-control-allow-origin", "*" if any_origin else origin)]
    headers.append(("access-control-allow-methods", ", ".join(rule.allowed_methods)))
    if not any_origin:
        headers.append(("access-control-allow-credentials", "true"))
    if preflight_headers:
        headers.append(("access-control-allow-headers", ", ".join(preflight_headers)))
    if rule.expose_headers:
        headers.append(("access-control-expose-headers", ", ".join(rule.expose_headers)))
    if rule.max_age_seconds is not None:
        headers.append(("access-control-max-age", str(rule.max_age_seconds)))
    headers.append(("vary", VARY))
    return headers
