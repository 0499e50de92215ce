"""The request body as a stream of verified, bounded pieces.

Reads ASGI ``http.request`` messages, decodes aws-chunked framing when the payload mode asks for
it, and verifies on the way: the announced length (IncompleteBody), the signed sha256 of the
payload (XAmzContentSHA256Mismatch) and an ``x-amz-checksum-*`` from a header or trailer
(BadDigest). Every check that needs the whole body fails by raising from the iterator *after the
last piece*, so a backend that drains the iterator before committing never makes a bad body
visible. Verified checksums are added to :attr:`RequestBody.checksum_headers` at the end.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from objectio.gateway import checksums, errors
from objectio.gateway.auth import sigv4
from objectio.gateway.auth.chunked import ChunkDecoder, ChunkSigning
from objectio.gateway.auth.verify import Identity

Receive = Callable[[], Awaitable[dict[str, Any]]]


def _int_header(headers: dict[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    if not value.strip().isdigit():
        raise errors.InvalidArgument(f"{name} must be a non-negative integer.")
    return int(value)


class RequestBody:
    def __init__(self, receive: Receive, headers: dict[str, str], identity: Identity, chunk_bytes: int) -> None:
        self._receive = receive
        self._chunk_bytes = chunk_bytes
        self._identity = identity
        self.content_length = _int_header(headers, "content-length")
        self.bytes_received = 0
        mode = identity.payload_hash
        self._streaming = mode in sigv4.STREAMING_MODES
        self._sha256 = hashlib.sha256() if sigv4.SHA256_HEX_RE.match(mode) else None
        self.decoded_length = _int_header(headers, "x-amz-decoded-content-length") if self._streaming else None
        self.checksum_headers: dict[str, str] = {}
        self._checksum_name, self._checksum_value, self._checksum_in_trailer = self._declared_checksum(headers)
        self._consumed = False
        self.ended = False  # the last body message arrived (nothing is left unread)

    @property
    def length(self) -> int | None:
        """Size of the payload once decoded, when the client announced it."""
        return self.decoded_length if self._streaming else self.content_length

    def require_length(self, limit: int) -> int:
        length = self.length
        if length is None:
            raise errors.MissingContentLength()
        if length > limit:
            raise errors.EntityTooLarge(fields={"ProposedSize": str(length), "MaxSizeAllowed": str(limit)})
        return length

    @staticmethod
    def _declared_checksum(headers: dict[str, str]) -> tuple[str, str, bool]:
        names = [n for n in headers if checksums.algorithm_of(n)]
        trailer = headers.get("x-amz-trailer", "").strip().lower()
        if trailer:
            if not checksums.algorithm_of(trailer):
                raise errors.InvalidRequest(f"The trailer {trailer!r} is not supported.")
            names.append(trailer)
        if len(names) > 1:
            raise errors.InvalidRequest(
                "Expecting a single x-amz-checksum- header. Multiple checksum types are not allowed."
            )
        if not names:
            return "", "", False
        name = names[0]
        if trailer:
            return name, "", True
        checksums.decode_checksum(checksums.algorithm_of(name) or "", headers[name])
        return name, headers[name], False

    def _decoder(self, limit: int) -> ChunkDecoder | None:
        if not self._streaming:
            return None
        mode = self._identity.payload_hash
        signing = None
        if mode != sigv4.STREAMING_UNSIGNED_TRAILER:
            i = self._identity
            signing = ChunkSigning(i.signing_key, i.amz_date, i.scope, i.seed_signature)
        trailers = mode in (sigv4.STREAMING_SIGNED_TRAILER, sigv4.STREAMING_UNSIGNED_TRAILER)
        return ChunkDecoder(signing=signing, trailers_allowed=trailers, chunk_bytes_max=limit)

    async def _raw(self) -> AsyncIterator[bytes]:
        if self._consumed:
            raise RuntimeError("the request body can be read once")
        self._consumed = True
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise errors.IncompleteBody("The client disconnected before sending the whole body.")
            data: bytes = message.get("body", b"")
            if data:
                self.bytes_received += len(data)
                if self.content_length is not None and self.bytes_received > self.content_length:
                    raise errors.IncompleteBody("More body bytes arrived than Content-Length announced.")
                yield data
            if not message.get("more_body", False):
                self.ended = True
                return

    async def chunks(self, limit: int) -> AsyncIterator[bytes]:
        """Decoded pieces of at most ``chunk_bytes`` each; at most ``limit`` bytes in total."""
        decoder = self._decoder(limit)
        algorithm = checksums.algorithm_of(self._checksum_name)
        hasher = checksums.new_hasher(algorithm) if algorithm else None
        decoded = 0
        async for raw in self._raw():
            if self._sha256 is not None:
                self._sha256.update(raw)
            for piece in decoder.feed(raw) if decoder else (raw,):
                decoded += len(piece)
                if decoded > limit:
                    if self.length is not None and decoded > self.length:
                        raise errors.IncompleteBody("More body bytes arrived than the request announced.")
                    raise errors.EntityTooLarge()
                if hasher is not None:
                    hasher.update(piece)
                for start in range(0, len(piece), self._chunk_bytes):
                    yield piece[start : start + self._chunk_bytes]
        self._finish(decoder, decoded, hasher)

    def _finish(self, decoder: ChunkDecoder | None, decoded: int, hasher: checksums.Hasher | None) -> None:
        if self.content_length is not None and self.bytes_received != self.content_length:
            raise errors.IncompleteBody()
        trailers = decoder.finish() if decoder else {}
        if self.decoded_length is not None and decoded != self.decoded_length:
            raise errors.IncompleteBody("The decoded body length differs from x-amz-decoded-content-length.")
        if self._sha256 is not None and self._sha256.hexdigest() != self._identity.payload_hash:
            raise errors.XAmzContentSHA256Mismatch(
                fields={
                    "ClientComputedContentSHA256": self._identity.payload_hash,
                    "S3ComputedContentSHA256": self._sha256.hexdigest(),
                }
            )
        if hasher is None:
            return
        value = self._checksum_value
        if self._checksum_in_trailer:
            if self._checksum_name not in trailers:
                raise errors.InvalidRequest(f"The trailer {self._checksum_name} was announced but not sent.")
            value = trailers[self._checksum_name]
        algorithm = checksums.algorithm_of(self._checksum_name) or ""
        if checksums.decode_checksum(algorithm, value) != hasher.digest():
            raise errors.BadDigest(f"The {algorithm.upper()} you specified did not match the calculated checksum.")
        self.checksum_headers[self._checksum_name] = value

    async def read_all(self, limit: int) -> bytes:
        parts = [piece async for piece in self.chunks(limit)]
        return b"".join(parts)


def announces_body(headers: dict[str, str]) -> bool:
    """The request has body bytes to read (a GET without Content-Length has none)."""
    return "transfer-encoding" in headers or headers.get("content-length", "0").strip() not in ("0", "")


async def discard_rest(receive: Receive, headers: dict[str, str], received: int, limit: int) -> bool:
    """Read and drop what is left of a request body that the response did not need (an error
    answered before the body was read), so the connection can carry the next request. Gives up,
    returning False (the connection must then close), when more than ``limit`` bytes are left."""
    length = headers.get("content-length", "").strip()
    if length.isdigit() and int(length) - received > limit:
        return False
    dropped = 0
    while dropped <= limit:
        message = await receive()
        if message["type"] == "http.disconnect":
            return False
        dropped += len(message.get("body", b""))
        if not message.get("more_body", False):
            return dropped <= limit
    return False
