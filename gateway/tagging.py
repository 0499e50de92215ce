"""Object tags as S3 encodes them: the ``x-amz-tagging`` header (URL query encoding), the
``Tagging`` XML document, and AWS's limits (10 tags, keys 1-128 and values 0-256 characters,
unique keys, no ``aws:`` prefix). Pure protocol logic (no I/O)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from objectio.gateway import errors
from objectio.gateway.http import XML_NS
from objectio.gateway.xmlio import el, parse_xml, text_of

TAGGING_HEADER = "x-amz-tagging"
COUNT_HEADER = "x-amz-tagging-count"
TAGS_PER_OBJECT_MAX = 10
TAG_KEY_CHARS_MAX = 128
TAG_VALUE_CHARS_MAX = 256
RESERVED_PREFIX = "aws:"


def check_tags(pairs: list[tuple[str, str]]) -> dict[str, str]:
    if len(pairs) > TAGS_PER_OBJECT_MAX:
        raise errors.InvalidTag(f"Object tags cannot be greater than {TAGS_PER_OBJECT_MAX}")
    tags: dict[str, str] = {}
    for key, value in pairs:
        if not 1 <= len(key) <= TAG_KEY_CHARS_MAX:
            raise errors.InvalidTag("The TagKey you have provided is invalid")
        if len(value) > TAG_VALUE_CHARS_MAX:
            raise errors.InvalidTag("The TagValue you have provided is invalid")
        if key.lower().startswith(RESERVED_PREFIX):
            raise errors.InvalidTag("Your TagKey cannot be prefixed with aws:")
        if key in tags:
            raise errors.InvalidTag("Cannot provide multiple Tags with the same key")
        tags[key] = value
    return tags


def parse_header(value: str) -> dict[str, str]:
    """``x-amz-tagging: k1=v1&k2=v2`` (URL-encoded)."""
    try:
        pairs = parse_qsl(value, keep_blank_values=True, strict_parsing=bool(value))
    except ValueError:
        raise errors.InvalidTag("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded") from None
    return check_tags(pairs)


def parse_document(body: bytes) -> dict[str, str]:
    root = parse_xml(body, "Tagging")
    tag_set = root.find("TagSet")
    if tag_set is None:
        raise errors.MalformedXML()
    pairs = []
    for tag in tag_set.findall("Tag"):
        key, value = text_of(tag, "Key"), text_of(tag, "Value")
        if key is None or value is None:
            raise errors.MalformedXML()
        pairs.append((key, value))
    return check_tags(pairs)


def document(tags: dict[str, str]) -> str:
    entries = "".join(f"<Tag>{el('Key', k)}{el('Value', v)}</Tag>" for k, v in tags.items())
    return f'<Tagging xmlns="{XML_NS}"><TagSet>{entries}</TagSet></Tagging>'
