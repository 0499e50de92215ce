"""``Range: bytes=...`` as S3 reads it: one range, else the header is ignored."""

from __future__ import annotations

import re

from objectio.gateway import errors

_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte range to send, ``None`` for the whole object, or InvalidRange (416).

    Syntactically invalid or multi-range headers are ignored (200 with the whole object), as S3 does.
    """
    if header is None:
        return None
    match = _RANGE_RE.match(header.strip().replace(" ", ""))
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise unsatisfiable(size)
        return max(0, size - suffix), size - 1
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None
    if first >= size:
        raise unsatisfiable(size)
    last = int(last_text) if last_text else size - 1
    return first, min(last, size - 1)


def unsatisfiable(size: int) -> errors.S3Error:
    return errors.InvalidRange(
        headers={"content-range": f"bytes */{size}"}, fields={"RangeRequested": "", "ActualObjectSize": str(size)}
    )


def content_range(first: int, last: int, size: int) -> str:
    return f"bytes {first}-{last}/{size}"
