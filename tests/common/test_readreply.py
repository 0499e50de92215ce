"""The hand-written ReadShardsReply codec agrees with protobuf (upb) in both directions."""

from __future__ import annotations

import os

import pytest

from objectio.common import readreply
from objectio.protos import osd_pb2

OUTCOMES: list[bytes | int] = [
    os.urandom(256 << 10),
    osd_pb2.SHARD_NOT_FOUND,
    b"",  # an empty fragment: a result with every field at its default
    os.urandom(100),
    osd_pb2.SHARD_CORRUPT,
    osd_pb2.SHARD_IO_ERROR,
]


def _upb_reply(outcomes: list[bytes | int]) -> osd_pb2.ReadShardsReply:
    reply = osd_pb2.ReadShardsReply()
    for outcome in outcomes:
        if isinstance(outcome, bytes):
            reply.results.add(status=osd_pb2.SHARD_OK, data=outcome)
        else:
            reply.results.add(status=outcome)  # type: ignore[arg-type]
    return reply


def test_encode_is_what_protobuf_writes_and_reads() -> None:
    raw = readreply.encode(OUTCOMES)
    assert raw == _upb_reply(OUTCOMES).SerializeToString()
    parsed = osd_pb2.ReadShardsReply.FromString(raw)
    assert [r.status for r in parsed.results] == [0 if isinstance(o, bytes) else o for o in OUTCOMES]
    assert [r.data for r in parsed.results] == [o if isinstance(o, bytes) else b"" for o in OUTCOMES]


def test_decode_reads_protobuf_replies_as_views() -> None:
    raw = _upb_reply(OUTCOMES).SerializeToString()
    results = readreply.decode(raw)
    assert [r.status for r in results] == [0 if isinstance(o, bytes) else o for o in OUTCOMES]
    assert [bytes(r.data) for r in results] == [o if isinstance(o, bytes) else b"" for o in OUTCOMES]
    first = results[0].data
    assert isinstance(first, memoryview) and first.obj is raw  # no copy of the fragment
    assert readreply.decode(b"") == []


def test_decode_skips_unknown_fields_and_takes_the_last_value() -> None:
    result = osd_pb2.ShardReadResult(status=osd_pb2.SHARD_CORRUPT, data=b"old").SerializeToString()
    result += bytes([3 << 3 | 0]) + b"\x96\x01"  # field 3, varint
    result += bytes([4 << 3 | 5]) + b"abcd"  # field 4, fixed32
    result += bytes([5 << 3 | 1]) + b"abcdefgh"  # field 5, fixed64
    result += bytes([6 << 3 | 2]) + b"\x02zz"  # field 6, bytes
    result += osd_pb2.ShardReadResult(status=osd_pb2.SHARD_OK, data=b"new").SerializeToString()
    raw = bytes([1 << 3 | 2, len(result)]) + result + bytes([9 << 3 | 0, 1])  # an unknown reply field
    (only,) = readreply.decode(raw)
    assert only.status == osd_pb2.SHARD_CORRUPT  # SHARD_OK (0) is the default and never written
    assert bytes(only.data) == b"new"


@pytest.mark.parametrize(
    "raw",
    [
        b"\x0a\x05\x12\x03ab",  # data shorter than its length
        b"\x0a\x09\x12\x03abc",  # result longer than the reply
        b"\x0a",  # length missing
        b"\x0a\x02\x08\xff",  # status varint never ends
        b"\x0b",  # wire type 3 (groups) is not used by this message
    ],
)
def test_malformed_replies_are_refused(raw: bytes) -> None:
    with pytest.raises(readreply.MalformedReply):
        readreply.decode(raw)


def test_an_ok_outcome_needs_its_bytes() -> None:
    with pytest.raises(ValueError):
        readreply.encode([osd_pb2.SHARD_OK])
