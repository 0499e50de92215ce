"""Tag sets (``<Tagging><TagSet><Tag><Key/><Value/></Tag>...``): parse and validate them as AWS
does, store them as canonical JSON and render them back as XML. Pure logic, no I/O.

AWS rules: keys 1 to 128 characters, values 0 to 256, both of Unicode letters, digits, white space and
``+ - = . _ : / @``; keys are unique and may not start with ``aws:``; a bucket has at most 50 tags
(the limit is a parameter: object tag sets have their own).
"""

from __future__ import annotations

import json

from objectio.gateway import errors
from objectio.gateway.http import XML_NS
from objectio.gateway.xmlio import el, parse_xml

FORMAT_VERSION = 1  # of the stored JSON document
KEY_CHARS_MAX = 128  # AWS
VALUE_CHARS_MAX = 256  # AWS
BUCKET_TAGS_MAX = 50  # AWS
DOCUMENT_BYTES_MAX = 64 * 1024  # 50 tags of 128 + 256 characters, XML-escaped, fit
RESERVED_PREFIX = "aws:"
PUNCTUATION = frozenset("+-=._:/@")


def _valid_chars(text: str) -> bool:
    return all(c.isalnum() or c.isspace() or c in PUNCTUATION for c in text)


def check_tag(key: str, value: str) -> None:
    if not key or len(key) > KEY_CHARS_MAX:
        raise errors.InvalidTag(f"The TagKey you have provided is invalid: it must be 1 to {KEY_CHARS_MAX} characters.")
    if len(value) > VALUE_CHARS_MAX:
        raise errors.InvalidTag(f"The TagValue you have provided is too long, max {VALUE_CHARS_MAX}.")
    if not _valid_chars(key):
        raise errors.InvalidTag("The TagKey you have provided is invalid")
    if not _valid_chars(value):
        raise errors.InvalidTag("The TagValue you have provided is invalid")
    if key.lower().startswith(RESERVED_PREFIX):
        raise errors.InvalidTag("System tags cannot be added/updated by requester")


def parse_tagging(body: bytes, tags_max: int) -> dict[str, str]:
    """The tags of a ``Tagging`` document, in document order."""
    if len(body) > DOCUMENT_BYTES_MAX:
        raise errors.MaxMessageLengthExceeded(fields={"MaxMessageLengthBytes": str(DOCUMENT_BYTES_MAX)})
    root = parse_xml(body, "Tagging")
    tag_sets = root.findall("TagSet")
    if len(tag_sets) != 1 or len(root) != 1:
        raise errors.MalformedXML()
    tags: dict[str, str] = {}
    for tag in tag_sets[0]:
        keys, values = tag.findall("Key"), tag.findall("Value")
        if tag.tag != "Tag" or len(keys) != 1 or len(values) != 1 or len(tag) != 2:
            raise errors.MalformedXML()
        key, value = keys[0].text or "", values[0].text or ""
        check_tag(key, value)
        if key in tags:
            raise errors.InvalidTag("Cannot provide multiple Tags with the same key")
        tags[key] = value
    if len(tags) > tags_max:
        raise errors.InvalidTag(f"Bucket tag count cannot be greater than {tags_max}")
    return tags


def encode(tags: dict[str, str]) -> bytes:
    return json.dumps({"version": FORMAT_VERSION, "tags": list(tags.items())}, separators=(",", ":")).encode()


def decode(stored: bytes) -> dict[str, str]:
    document = json.loads(stored)
    if document.get("version") != FORMAT_VERSION:
        raise ValueError(f"tag set setting has unknown format version {document.get('version')!r}")
    return {key: value for key, value in document["tags"]}


def render(tags: dict[str, str]) -> str:
    entries = "".join(f"<Tag>{el('Key', k)}{el('Value', v)}</Tag>" for k, v in tags.items())
    return f'<Tagging xmlns="{XML_NS}"><TagSet>{entries}</TagSet></Tagging>'
