"""Units of multipart: the CompleteMultipartUpload body, the multipart ETag, the choice of parts
at completion, and the map from a byte range onto parts."""

from __future__ import annotations

import hashlib

import pytest

from objectio.gateway import errors
from objectio.gateway.backend import EntityTooSmall, InvalidPart
from objectio.gateway.cluster_multipart import choose_parts, multipart_etag
from objectio.gateway.handlers.multipart import parse_complete
from objectio.gateway.storage.parts import PartSpan, part_spans
from objectio.protos import meta_pb2

MIB = 1 << 20


def body(*parts: str) -> bytes:
    return f'<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{"".join(parts)}</CompleteMultipartUpload>'.encode()


def part(number: object, etag: str = '"abc"') -> str:
    return f"<Part><ETag>{etag}</ETag><PartNumber>{number}</PartNumber></Part>"


def test_parse_complete_accepts_quoted_and_bare_etags() -> None:
    assert parse_complete(body(part(1, '"a1"'), part(2, "b2"), part(7, "&quot;c3&quot;"))) == [
        (1, "a1"),
        (2, "b2"),
        (7, "c3"),
    ]


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (body(part(2), part(1)), errors.InvalidPartOrder),
        (body(part(1), part(1)), errors.InvalidPartOrder),  # strictly ascending
        (body(), errors.MalformedXML),
        (b"<CompleteMultipartUpload><Part><PartNumber>1</Part>", errors.MalformedXML),
        (body("<Part><PartNumber>1</PartNumber></Part>"), errors.MalformedXML),  # no ETag
        (body(part("one")), errors.MalformedXML),
        (b"<Other/>", errors.MalformedXML),
        (body(part(0)), errors.InvalidArgument),
        (body(part(10001)), errors.InvalidArgument),
    ],
)
def test_parse_complete_errors(raw: bytes, error: type[errors.S3Error]) -> None:
    with pytest.raises(error):
        parse_complete(raw)


def test_multipart_etag_is_md5_of_binary_md5s_and_count() -> None:
    datas = [b"a" * 10, b"b" * 20, b"c"]
    md5s = [hashlib.md5(d).hexdigest() for d in datas]
    expected = hashlib.md5(b"".join(hashlib.md5(d).digest() for d in datas)).hexdigest() + "-3"
    assert multipart_etag(md5s) == expected
    assert multipart_etag(md5s[:1]).endswith("-1")


def layout(number: int, size: int, etag: str) -> meta_pb2.PartLayout:
    return meta_pb2.PartLayout(part_number=number, size=size, etag=etag, object_id=bytes([number]) * 16)


def test_choose_parts_checks_etags_then_sizes() -> None:
    stored = [layout(1, 5 * MIB, "aa"), layout(2, 10, "bb"), layout(3, 5 * MIB, "cc")]
    assert [p.part_number for p in choose_parts(stored, [(1, "AA"), (3, "cc")])] == [1, 3]
    assert [p.part_number for p in choose_parts(stored, [(2, "bb")])] == [2]  # one small part is fine
    with pytest.raises(InvalidPart):
        choose_parts(stored, [(1, "aa"), (4, "dd")])
    with pytest.raises(InvalidPart):
        choose_parts(stored, [(1, "bb")])
    with pytest.raises(EntityTooSmall):
        choose_parts(stored, [(2, "bb"), (3, "cc")])
    with pytest.raises(InvalidPart):  # InvalidPart is reported before EntityTooSmall, as AWS does
        choose_parts(stored, [(2, "bb"), (3, "zz")])


def test_part_spans() -> None:
    sizes = [10, 0, 10, 5]
    assert part_spans(sizes, 0, 24) == [PartSpan(0, 0, 9), PartSpan(2, 0, 9), PartSpan(3, 0, 4)]
    assert part_spans(sizes, 9, 10) == [PartSpan(0, 9, 9), PartSpan(2, 0, 0)]
    assert part_spans(sizes, 12, 13) == [PartSpan(2, 2, 3)]
    assert part_spans(sizes, 20, 24) == [PartSpan(3, 0, 4)]
    assert part_spans([7], 3, 3) == [PartSpan(0, 3, 3)]
