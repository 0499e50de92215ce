"""Reading client XML safely and writing S3 XML.

Request bodies are small documents (bounded by ``xml_body_bytes_max``); DTDs and entities are
refused outright so entity-expansion attacks never reach the parser.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from objectio.gateway import errors


def parse_xml(body: bytes, root_tag: str) -> ET.Element:
    """Parse ``body`` whose root must be ``root_tag`` (any namespace); namespaces are stripped."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise errors.MalformedXML()
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise errors.MalformedXML() from None
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    if root.tag != root_tag:
        raise errors.MalformedXML()
    return root


def text_of(element: ET.Element, tag: str) -> str | None:
    child = element.find(tag)
    if child is None:
        return None
    return child.text or ""


def el(tag: str, value: str | int | bool | None) -> str:
    """``<tag>value</tag>``; ``None`` omits the element."""
    if value is None:
        return ""
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{tag}>{escape(str(value))}</{tag}>"


def xml_text(value: str) -> str:
    """``value`` escaped for XML character data (most keys need nothing: then no copy)."""
    if "&" in value or "<" in value or ">" in value:
        return escape(value)
    return value
