"""Property tests (fixed seed): hostile input yields S3 errors, never other exceptions or hangs."""

from __future__ import annotations

import base64
import contextlib
import zlib

from hypothesis import given, seed, settings
from hypothesis import strategies as st

from objectio.gateway import errors, ranges
from objectio.gateway.auth.chunked import ChunkDecoder
from objectio.gateway.request import headers_from_scope, parse_request
from objectio.gateway.xmlio import parse_xml

FUZZ = settings(max_examples=100, deadline=None, database=None)


def valid_body(data: bytes, sizes: list[int]) -> bytes:
    out, pos = b"", 0
    for size in sizes:
        piece = data[pos : pos + size]
        pos += len(piece)
        if piece:
            out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    out += f"{len(data) - pos:x}\r\n".encode() + data[pos:] + b"\r\n" if pos < len(data) else b""
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    return out + f"0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n".encode()


def decode(body: bytes, step: int) -> bytes:
    decoder = ChunkDecoder(signing=None, trailers_allowed=True, chunk_bytes_max=1 << 20)
    out = b"".join(b"".join(decoder.feed(body[i : i + step])) for i in range(0, len(body), step))
    decoder.finish()
    return out


@seed(20261122)
@FUZZ
@given(st.binary(max_size=3000), st.lists(st.integers(1, 700), max_size=6), st.integers(1, 97))
def test_any_split_decodes(data: bytes, sizes: list[int], step: int) -> None:
    assert decode(valid_body(data, sizes), step) == data


@seed(20261122)
@FUZZ
@given(st.binary(min_size=1, max_size=500), st.data())
def test_any_truncation_is_incomplete(data: bytes, draw: st.DataObject) -> None:
    body = valid_body(data, [])
    cut = draw.draw(st.integers(0, len(body) - 1))
    try:
        decode(body[:cut], 13)
    except errors.IncompleteBody:
        return
    except errors.S3Error:
        return  # a cut inside a size line can also read as a malformed line
    raise AssertionError("a truncated body decoded")


@seed(20261122)
@FUZZ
@given(st.binary(max_size=400), st.integers(1, 50))
def test_garbage_only_raises_s3_errors(garbage: bytes, step: int) -> None:
    with contextlib.suppress(errors.S3Error):
        decode(garbage, step)


@seed(20261122)
@FUZZ
@given(st.text(max_size=40), st.integers(0, 10**6))
def test_range_header_fuzz(header: str, size: int) -> None:
    try:
        result = ranges.parse_range(header, size)
    except errors.InvalidRange:
        return
    if result is not None:
        first, last = result
        assert 0 <= first <= last < size


@seed(20261122)
@FUZZ
@given(
    st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH"]),
    st.binary(max_size=80),
    st.binary(max_size=80),
)
def test_request_parsing_fuzz(method: str, path: bytes, query: bytes) -> None:
    raw_path = b"/" + path
    scope = {
        "method": method,
        "path": raw_path.decode("latin-1"),
        "raw_path": raw_path,
        "query_string": query,
        "headers": [(b"host", b"h")],
    }
    with contextlib.suppress(errors.S3Error):
        parse_request(scope, headers_from_scope(scope), "")


@seed(20261122)
@FUZZ
@given(st.binary(max_size=300))
def test_xml_fuzz(body: bytes) -> None:
    with contextlib.suppress(errors.S3Error):
        parse_xml(b"<Delete>" + body, "Delete")
