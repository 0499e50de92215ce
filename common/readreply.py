"""``ReadShardsReply`` on the wire, written and read without protobuf's copies of fragment bytes.

The reply is ``repeated ShardReadResult results = 1``, each ``ShardStatus status = 1`` and
``bytes data = 2`` (protos/osd.proto). Through upb, the OSD copies every fragment into the
message and again into the serialised string, and the gateway copies it into the parsed message
and again out of ``.data``: ≈ 0.15 ms to build and ≈ 0.27 ms to parse per 256 KiB fragment on
the benchmark VM, a third of an OSD's CPU per fragment read. Here the OSD writes a reply with
one join and the gateway reads it into ``memoryview`` slices of the received bytes.

The encoding is the standard one (fields in number order, proto3 defaults omitted), so any
protobuf parser reads what :func:`encode` writes, and :func:`decode` reads any valid
``ReadShardsReply``, skipping fields it does not know; tests check both against upb.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from grpc import aio

from objectio.protos import osd_pb2

METHOD = f"/{osd_pb2.DESCRIPTOR.services_by_name['OsdService'].full_name}/ReadShards"

_RESULTS = 1  # ReadShardsReply.results
_STATUS = 1  # ShardReadResult.status
_DATA = 2  # ShardReadResult.data
_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5  # wire types
_OK: int = osd_pb2.SHARD_OK
_DATA_TAG = bytes([_DATA << 3 | _LEN])
_RESULT_TAG = bytes([_RESULTS << 3 | _LEN])
_STATUS_TAG = bytes([_STATUS << 3 | _VARINT])


class ShardResult(NamedTuple):
    """One read's outcome; ``data`` (empty unless SHARD_OK) is a view into the reply's bytes
    when :func:`decode` made it."""

    status: int
    data: bytes | memoryview


class MalformedReply(ValueError):
    """The bytes are not a valid ``ReadShardsReply``."""


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def encode(outcomes: Sequence[bytes | int]) -> bytes:
    """The serialised reply: fragment bytes for a read that succeeded, a ``ShardStatus`` for one
    that did not, in request order. Each fragment is copied once, into the result."""
    parts: list[bytes] = []
    for outcome in outcomes:
        if isinstance(outcome, int):
            if outcome == _OK:
                raise ValueError("a SHARD_OK outcome carries its bytes, not the status")
            status = _STATUS_TAG + _varint(outcome)
            parts += (_RESULT_TAG, _varint(len(status)), status)
        elif outcome:
            head = _DATA_TAG + _varint(len(outcome))
            parts += (_RESULT_TAG, _varint(len(head) + len(outcome)), head, outcome)
        else:
            parts += (_RESULT_TAG, b"\x00")  # an empty fragment: every field at its default
    return b"".join(parts)


def _read_varint(view: memoryview, pos: int, end: int) -> tuple[int, int]:
    value = shift = 0
    while pos < end:
        byte = view[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            break
    raise MalformedReply(f"bad varint before byte {pos}")


def _skip(view: memoryview, wire_type: int, pos: int, end: int) -> int:
    if wire_type == _VARINT:
        return _read_varint(view, pos, end)[1]
    if wire_type == _LEN:
        length, pos = _read_varint(view, pos, end)
        pos += length
    elif wire_type == _I64:
        pos += 8
    elif wire_type == _I32:
        pos += 4
    else:
        raise MalformedReply(f"unsupported wire type {wire_type} at byte {pos}")
    if pos > end:
        raise MalformedReply(f"field runs past its message end ({pos} > {end})")
    return pos


def _result(view: memoryview, pos: int, end: int) -> ShardResult:
    status, data = _OK, view[0:0]  # proto3: absent fields are at their defaults
    while pos < end:
        key, pos = _read_varint(view, pos, end)
        field, wire_type = key >> 3, key & 7
        if field == _STATUS and wire_type == _VARINT:
            status, pos = _read_varint(view, pos, end)
        elif field == _DATA and wire_type == _LEN:
            length, pos = _read_varint(view, pos, end)
            if pos + length > end:
                raise MalformedReply(f"data of {length} bytes runs past its result's end")
            data, pos = view[pos : pos + length], pos + length
        else:
            pos = _skip(view, wire_type, pos, end)
    return ShardResult(status, data)


def decode(raw: bytes) -> list[ShardResult]:
    """The results of a serialised ``ReadShardsReply``, their data viewed, not copied."""
    view = memoryview(raw)
    end = len(view)
    results: list[ShardResult] = []
    pos = 0
    while pos < end:
        key, pos = _read_varint(view, pos, end)
        field, wire_type = key >> 3, key & 7
        if field == _RESULTS and wire_type == _LEN:
            length, pos = _read_varint(view, pos, end)
            if pos + length > end:
                raise MalformedReply(f"result of {length} bytes runs past the reply's end ({end})")
            results.append(_result(view, pos, pos + length))
            pos += length
        else:
            pos = _skip(view, wire_type, pos, end)
    return results


ReadShardsCall = aio.UnaryUnaryMultiCallable[osd_pb2.ReadShardsRequest, list[ShardResult] | None]


def read_shards_call(channel: aio.Channel) -> ReadShardsCall:
    """``ReadShards`` on ``channel`` answering with :func:`decode`'s results, or None when the
    reply did not parse (grpc logs the :class:`MalformedReply` and hands the caller None)."""
    call: Any = channel.unary_unary(
        METHOD, request_serializer=osd_pb2.ReadShardsRequest.SerializeToString, response_deserializer=decode
    )
    return call  # type: ignore[no-any-return]
