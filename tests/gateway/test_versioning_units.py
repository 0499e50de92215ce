"""The pure codecs of versioning, tagging and GetObjectAttributes: VersioningConfiguration,
version id parameters and headers, x-amz-tagging and Tagging documents with AWS's limits,
x-amz-object-attributes and the ObjectParts page."""

from __future__ import annotations

import pytest

from objectio.gateway import errors, tagging, versioning
from objectio.gateway.backend import BucketInfo, ObjectInfo
from objectio.gateway.handlers.attributes import parts_xml, requested_attributes
from objectio.meta import versions

NEVER = BucketInfo("b", "alice", 0.0, "rs-4-2")
ENABLED = BucketInfo("b", "alice", 0.0, "rs-4-2", settings={"versioning": b"Enabled"})


def test_versioning_configuration() -> None:
    doc = b'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>%s</Status>'
    assert versioning.parse_configuration(doc % b"Enabled" + b"</VersioningConfiguration>") == versions.ENABLED
    assert versioning.parse_configuration(doc % b"Suspended" + b"</VersioningConfiguration>") == versions.SUSPENDED
    with pytest.raises(errors.IllegalVersioningConfigurationException):
        versioning.parse_configuration(doc % b"Disabled" + b"</VersioningConfiguration>")
    with pytest.raises(errors.NotImplemented):
        versioning.parse_configuration(doc % b"Enabled" + b"<MfaDelete>Enabled</MfaDelete></VersioningConfiguration>")
    with pytest.raises(errors.MalformedXML):
        versioning.parse_configuration(b"<Versioning/>")


def test_version_ids_and_headers() -> None:
    vid = versions.new_version_id(1_700_000_000_000_000_000)
    assert versions.is_version_id(vid) and versions.is_version_id("null")
    assert versions.new_version_id(2) < versions.new_version_id(1)  # newer sorts first
    assert versioning.version_param({"versionId": vid}) == vid
    assert versioning.version_param({}) is None
    for bad in ("", "NULL", vid.upper(), vid + "0", "../x"):
        with pytest.raises(errors.InvalidArgument):
            versioning.version_param({"versionId": bad})
    plain = ObjectInfo("b", "k", 1, "e", 0.0)
    assert versioning.version_headers(plain, NEVER) == []  # never versioned: no header
    assert versioning.version_headers(plain, ENABLED) == [("x-amz-version-id", "null")]
    assert versioning.version_headers(plain, NEVER, "null") == [("x-amz-version-id", "null")]
    named = ObjectInfo("b", "k", 1, "e", 0.0, version_id=vid)
    assert versioning.version_headers(named, NEVER) == [("x-amz-version-id", vid)]


def test_tagging_header_and_document() -> None:
    assert tagging.parse_header("a=1&b%20c=d%26e&empty=") == {"a": "1", "b c": "d&e", "empty": ""}
    assert tagging.parse_header("") == {}
    body = (
        b"<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag>"
        b"<Tag><Key>e</Key><Value></Value></Tag></TagSet></Tagging>"
    )
    assert tagging.parse_document(body) == {"k": "v", "e": ""}
    assert tagging.parse_document(tagging.document({"x": "<&>"}).encode()) == {"x": "<&>"}
    for bad in ("a=1&a=2", "aws:x=1", "k=" + "v" * 257, "k" * 129 + "=v", "=v", "&".join(f"k{i}=v" for i in range(11))):
        with pytest.raises(errors.InvalidTag):
            tagging.parse_header(bad)
    with pytest.raises(errors.MalformedXML):
        tagging.parse_document(b"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>")
    with pytest.raises(errors.MalformedXML):
        tagging.parse_document(b"<Tagging/>")


def test_attributes_and_parts_page() -> None:
    assert requested_attributes({"x-amz-object-attributes": "ETag, ObjectSize"}) == {"ETag", "ObjectSize"}
    for bad in ("", "Color", "ETag,Color"):
        with pytest.raises(errors.InvalidArgument):
            requested_attributes({"x-amz-object-attributes": bad})
    info = ObjectInfo(
        "b", "k", 12, "e-3", 0.0, part_sizes=(5, 5, 2),
        part_checksums=({"x-amz-checksum-crc32": "AAAAAA=="}, {}, {}),
    )  # fmt: skip
    page = parts_xml(info, 1, 1)
    assert "<PartsCount>3</PartsCount>" in page and "<IsTruncated>true</IsTruncated>" in page
    assert "<PartNumber>2</PartNumber>" in page and "<NextPartNumberMarker>2</NextPartNumberMarker>" in page
    last = parts_xml(info, 2, 10)
    assert "<IsTruncated>false</IsTruncated>" in last and "<PartNumber>3</PartNumber>" in last
    bare = parts_xml(ObjectInfo("b", "k", 12, "e-3", 0.0, part_sizes=(5, 7), part_checksums=({}, {})), 0, 10)
    assert "<Part>" not in bare and "<PartsCount>2</PartsCount>" in bare  # no checksums: count only
