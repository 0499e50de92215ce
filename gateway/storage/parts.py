"""Reading a completed multipart object: its record lists the parts in order, each erasure-coded
under its own object id with its own stripes (completion rewrites nothing). A byte range maps
onto a run of parts; each is read through :class:`~objectio.gateway.storage.reader.StripeReader`
over only the stripes the range touches.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from objectio.protos import meta_pb2

ReaderFactory = Callable[[meta_pb2.ObjectRecord], "RangeReader"]


class RangeReader(Protocol):  # the slice of StripeReader this module uses
    def stream(self, first_byte: int, last_byte: int) -> AsyncIterator[bytes]: ...


@dataclass(frozen=True)
class PartSpan:
    index: int  # position in record.parts
    first: int  # inclusive, relative to the part
    last: int  # inclusive, relative to the part


def part_spans(sizes: Sequence[int], first_byte: int, last_byte: int) -> list[PartSpan]:
    """The parts (by position) that bytes [first_byte, last_byte] of the whole object fall in,
    with the range inside each. Parts of size 0 never appear."""
    assert 0 <= first_byte <= last_byte < sum(sizes), "range outside the object"
    spans = []
    start = 0
    for index, size in enumerate(sizes):
        end = start + size - 1  # last byte of this part
        if size and end >= first_byte and start <= last_byte:
            spans.append(PartSpan(index, max(first_byte, start) - start, min(last_byte, end) - start))
        start += size
        if start > last_byte:
            break
    return spans


def part_record(record: meta_pb2.ObjectRecord, part: meta_pb2.PartLayout) -> meta_pb2.ObjectRecord:
    """A record naming one part's fragments, in the shape StripeReader reads."""
    return meta_pb2.ObjectRecord(
        format_version=record.format_version,
        bucket=record.bucket,
        key=record.key,
        size=part.size,
        etag=part.etag,
        object_id=part.object_id,
        pool=record.pool,
        stripes=part.stripes,
    )


async def stream_parts(
    record: meta_pb2.ObjectRecord, first_byte: int, last_byte: int, reader_for: ReaderFactory
) -> AsyncIterator[bytes]:
    """Yield bytes [first_byte, last_byte] of a multipart object, part after part."""
    assert record.parts, "not a multipart record"
    for span in part_spans([p.size for p in record.parts], first_byte, last_byte):
        reader = reader_for(part_record(record, record.parts[span.index]))
        async for chunk in reader.stream(span.first, span.last):
            yield chunk
