"""Incremental decoder of ``Content-Encoding: aws-chunked`` request bodies.

Wire format (each line ends in CRLF)::

    <size-hex>[;chunk-signature=<64 hex>]      one line per chunk, then <size> bytes and CRLF
    ...
    0[;chunk-signature=<64 hex>]               the final, empty chunk
    <name>:<value>                             trailers (x-amz-checksum-*), trailer modes only
    x-amz-trailer-signature:<64 hex>           signed-trailer mode only
                                               an empty line ends the body

Signed modes chain signatures: chunk i is signed over the previous signature (the request's own
signature for the first chunk) and sha256 of its data; the trailer is signed over the final
chunk's signature and sha256 of the canonical trailer lines. The decoder never buffers more than
one line (``LINE_BYTES_MAX``); data passes through as it arrives and its chunk's signature is
checked when the chunk ends — a failure raises, which aborts the PUT before anything is visible.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

from objectio.gateway import errors
from objectio.gateway.auth import sigv4

LINE_BYTES_MAX = 4096
TRAILERS_MAX = 16
SIZE_HEX_CHARS_MAX = 16
SIGNATURE_EXTENSION = "chunk-signature="
TRAILER_SIGNATURE = "x-amz-trailer-signature"


@dataclass(frozen=True, slots=True)
class ChunkSigning:
    signing_key: bytes
    amz_date: str
    scope: str
    seed_signature: str


class _State(enum.Enum):
    LINE = 1
    DATA = 2
    DATA_END = 3
    TRAILER = 4
    DONE = 5


class ChunkDecoder:
    def __init__(self, *, signing: ChunkSigning | None, trailers_allowed: bool, chunk_bytes_max: int) -> None:
        self._signing = signing
        self._previous = signing.seed_signature if signing else ""
        self._trailers_allowed = trailers_allowed
        self._chunk_bytes_max = chunk_bytes_max
        self._state = _State.LINE
        self._buffer = bytearray()
        self._remaining = 0
        self._chunk_signature = ""
        self._chunk_hash = hashlib.sha256()
        self.trailers: dict[str, str] = {}
        self._trailer_signature = ""

    @property
    def done(self) -> bool:
        return self._state is _State.DONE

    def feed(self, data: bytes) -> list[bytes]:
        """Decoded payload pieces contained in ``data`` (possibly none)."""
        out: list[bytes] = []
        view = memoryview(data)
        pos = 0
        while pos < len(view):
            if self._state is _State.DATA:
                take = min(self._remaining, len(view) - pos)
                piece = bytes(view[pos : pos + take])
                if self._signing:
                    self._chunk_hash.update(piece)
                out.append(piece)
                self._remaining -= take
                pos += take
                if self._remaining == 0:
                    self._state = _State.DATA_END
            elif self._state is _State.DATA_END:
                take = min(2 - len(self._buffer), len(view) - pos)
                self._buffer += view[pos : pos + take]
                pos += take
                if len(self._buffer) == 2:
                    if self._buffer != b"\r\n":
                        raise errors.IncompleteBody("A chunk is longer than its declared size.")
                    self._buffer.clear()
                    self._end_chunk()
                    self._state = _State.LINE
            elif self._state is _State.DONE:
                raise errors.InvalidRequest("Data follows the final chunk of an aws-chunked body.")
            else:
                end = data.find(b"\n", pos)
                stop = len(view) if end < 0 else end + 1
                self._buffer += view[pos:stop]
                pos = stop
                if len(self._buffer) > LINE_BYTES_MAX:
                    raise errors.InvalidRequest("An aws-chunked header line is too long.")
                if end >= 0:
                    line = bytes(self._buffer)
                    self._buffer.clear()
                    self._line(line)
        return out

    def finish(self) -> dict[str, str]:
        """Call when the raw body ended: the trailers, or IncompleteBody if the stream was cut."""
        if self._state is not _State.DONE:
            raise errors.IncompleteBody("The aws-chunked body ended before its final chunk.")
        return self.trailers

    def _line(self, raw: bytes) -> None:
        if not raw.endswith(b"\r\n"):
            raise errors.InvalidRequest("aws-chunked lines must end with CRLF.")
        try:
            line = raw[:-2].decode("ascii")
        except UnicodeDecodeError:
            raise errors.InvalidRequest("aws-chunked header lines must be ASCII.") from None
        if self._state is _State.LINE:
            self._chunk_header(line)
        elif line:
            self._trailer(line)
        else:
            self._end_trailers()

    def _chunk_header(self, line: str) -> None:
        size_hex, *extensions = line.split(";")
        size_hex = size_hex.strip()
        if not size_hex or len(size_hex) > SIZE_HEX_CHARS_MAX:
            raise errors.InvalidRequest("Invalid aws-chunked chunk size.")
        try:
            size = int(size_hex, 16)
        except ValueError:
            raise errors.InvalidRequest("Invalid aws-chunked chunk size.") from None
        if size > self._chunk_bytes_max:
            raise errors.EntityTooLarge()
        self._chunk_signature = ""
        for ext in extensions:
            if ext.strip().startswith(SIGNATURE_EXTENSION):
                self._chunk_signature = ext.strip()[len(SIGNATURE_EXTENSION) :]
        if self._signing and not sigv4.SIGNATURE_RE.match(self._chunk_signature):
            raise errors.InvalidRequest("A signed aws-chunked chunk lacks a valid chunk-signature.")
        self._chunk_hash = hashlib.sha256()
        self._remaining = size
        if size:
            self._state = _State.DATA
        else:
            self._end_chunk()
            self._state = _State.TRAILER

    def _end_chunk(self) -> None:
        if self._signing is None:
            return
        s = self._signing
        text = sigv4.chunk_string_to_sign(s.amz_date, s.scope, self._previous, self._chunk_hash.hexdigest())
        if not sigv4.signatures_equal(sigv4.sign(s.signing_key, text), self._chunk_signature):
            raise errors.SignatureDoesNotMatch("The chunk signature does not match.")
        self._previous = self._chunk_signature

    def _trailer(self, line: str) -> None:
        name, sep, value = line.partition(":")
        name = name.strip().lower()
        if not sep or not name or not self._trailers_allowed:
            raise errors.InvalidRequest("Unexpected trailer in the aws-chunked body.")
        if name == TRAILER_SIGNATURE:
            self._trailer_signature = value.strip()
            return
        if len(self.trailers) >= TRAILERS_MAX:
            raise errors.InvalidRequest("Too many trailers in the aws-chunked body.")
        self.trailers[name] = value.strip()

    def _end_trailers(self) -> None:
        if self._signing is not None and self._trailers_allowed:
            s = self._signing
            canonical = "".join(f"{n}:{v}\n" for n, v in sorted(self.trailers.items()))
            digest = hashlib.sha256(canonical.encode()).hexdigest()
            expected = sigv4.sign(
                s.signing_key, sigv4.trailer_string_to_sign(s.amz_date, s.scope, self._previous, digest)
            )
            if not sigv4.signatures_equal(expected, self._trailer_signature):
                raise errors.SignatureDoesNotMatch("The trailer signature does not match.")
        self._state = _State.DONE
