"""aws-chunked decoding: the AWS documentation's streaming example, tampering, truncation, trailers."""

from __future__ import annotations

import base64
import calendar
import hashlib
import zlib
from typing import Any

import pytest
from memory_backend import MemoryBackend

from objectio.gateway import errors
from objectio.gateway.auth import sigv4
from objectio.gateway.auth.chunked import ChunkDecoder, ChunkSigning
from objectio.gateway.auth.verify import Identity, authenticate
from objectio.gateway.backend import AccessKey
from objectio.gateway.body import RequestBody
from objectio.gateway.request import headers_from_scope, parse_request

# The example of the AWS "SigV4 streaming" documentation: 64 KiB + 1 KiB of 'a'.
DOC_KEY = AccessKey("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "doc")
DOC_DATE = "20130524T000000Z"
DOC_SCOPE = "20130524/us-east-1/s3/aws4_request"
DOC_SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
DOC_CHUNK_SIGNATURES = (
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
)
SIGNING_KEY = sigv4.derive_signing_key(DOC_KEY.secret_key, "20130524", "us-east-1")


def doc_body() -> bytes:
    sizes = (65536, 1024, 0)
    parts = [
        f"{size:x};chunk-signature={sig}\r\n".encode() + b"a" * size + b"\r\n"
        for size, sig in zip(sizes, DOC_CHUNK_SIGNATURES, strict=True)
    ]
    return b"".join(parts)


def doc_decoder(trailers: bool = False) -> ChunkDecoder:
    signing = ChunkSigning(SIGNING_KEY, DOC_DATE, DOC_SCOPE, DOC_SEED)
    return ChunkDecoder(signing=signing, trailers_allowed=trailers, chunk_bytes_max=1 << 20)


def decode_in_pieces(decoder: ChunkDecoder, body: bytes, step: int) -> bytes:
    out = b"".join(b"".join(decoder.feed(body[i : i + step])) for i in range(0, len(body), step))
    decoder.finish()
    return out


def doc_scope() -> dict[str, Any]:
    headers = {
        "host": "s3.amazonaws.com",
        "x-amz-date": DOC_DATE,
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "x-amz-content-sha256": sigv4.STREAMING_SIGNED,
        "content-encoding": "aws-chunked",
        "x-amz-decoded-content-length": "66560",
        "content-length": "66824",
        "authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
        f"x-amz-decoded-content-length;x-amz-storage-class,Signature={DOC_SEED}",
    }
    return {
        "type": "http",
        "method": "PUT",
        "path": "/examplebucket/chunkObject.txt",
        "raw_path": b"/examplebucket/chunkObject.txt",
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }


async def doc_identity() -> Identity:
    scope = doc_scope()
    req = parse_request(scope, headers_from_scope(scope), "")
    return await authenticate(
        req,
        MemoryBackend([DOC_KEY]),
        sigv4.SigningKeyCache(4),
        region="us-east-1",
        skew_max_seconds=900,
        presign_expires_max_seconds=604800,
        now=calendar.timegm((2013, 5, 24, 0, 0, 0)),
    )


def test_chunk_signature_vectors() -> None:
    previous = DOC_SEED
    for size, expected in zip((65536, 1024, 0), DOC_CHUNK_SIGNATURES, strict=True):
        text = sigv4.chunk_string_to_sign(DOC_DATE, DOC_SCOPE, previous, hashlib.sha256(b"a" * size).hexdigest())
        assert sigv4.sign(SIGNING_KEY, text) == expected
        previous = expected


@pytest.mark.parametrize("step", [1, 7, 4096, 100_000])
def test_signed_chunks_decode_in_any_split(step: int) -> None:
    assert decode_in_pieces(doc_decoder(), doc_body(), step) == b"a" * 66560


def test_tampered_chunk_is_rejected() -> None:
    body = bytearray(doc_body())
    body[1000] = ord("b")
    with pytest.raises(errors.SignatureDoesNotMatch):
        decode_in_pieces(doc_decoder(), bytes(body), 8192)


def test_truncated_stream_is_incomplete() -> None:
    body = doc_body()
    for cut in (10, 66000, len(body) - 3):
        with pytest.raises(errors.IncompleteBody):
            decode_in_pieces(doc_decoder(), body[:cut], 4096)


def test_garbage_is_invalid_request() -> None:
    with pytest.raises(errors.InvalidRequest):
        decode_in_pieces(doc_decoder(), b"zz;chunk-signature=00\r\n", 64)
    with pytest.raises(errors.InvalidRequest):
        doc_decoder().feed(b"1" * 5000)  # an endless header line
    unsigned = ChunkDecoder(signing=None, trailers_allowed=False, chunk_bytes_max=10)
    with pytest.raises(errors.EntityTooLarge):
        unsigned.feed(b"100\r\n")


def unsigned_trailer_body(data: bytes, trailer: str) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n" + trailer.encode() + b"\r\n\r\n"


def test_unsigned_trailer() -> None:
    data = b"hello"
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    decoder = ChunkDecoder(signing=None, trailers_allowed=True, chunk_bytes_max=100)
    assert decode_in_pieces(decoder, unsigned_trailer_body(data, f"x-amz-checksum-crc32:{crc}"), 3) == data
    assert decoder.trailers == {"x-amz-checksum-crc32": crc}


def signed_trailer_body(data: bytes, trailer_value: str, *, tamper: bool = False) -> bytes:
    chunk_sig = sigv4.sign(
        SIGNING_KEY, sigv4.chunk_string_to_sign(DOC_DATE, DOC_SCOPE, DOC_SEED, hashlib.sha256(data).hexdigest())
    )
    final_sig = sigv4.sign(SIGNING_KEY, sigv4.chunk_string_to_sign(DOC_DATE, DOC_SCOPE, chunk_sig, sigv4.EMPTY_SHA256))
    canonical = f"x-amz-checksum-crc32:{trailer_value}\n"
    trailer_sig = sigv4.sign(
        SIGNING_KEY,
        sigv4.trailer_string_to_sign(DOC_DATE, DOC_SCOPE, final_sig, hashlib.sha256(canonical.encode()).hexdigest()),
    )
    sent_value = "AAAAAA==" if tamper else trailer_value
    return (
        f"{len(data):x};chunk-signature={chunk_sig}\r\n".encode()
        + data
        + f"\r\n0;chunk-signature={final_sig}\r\nx-amz-checksum-crc32:{sent_value}\r\n"
        f"x-amz-trailer-signature:{trailer_sig}\r\n\r\n".encode()
    )


def test_signed_trailer() -> None:
    data = b"x" * 9000
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    assert decode_in_pieces(doc_decoder(trailers=True), signed_trailer_body(data, crc), 1000) == data
    with pytest.raises(errors.SignatureDoesNotMatch):
        decode_in_pieces(doc_decoder(trailers=True), signed_trailer_body(data, crc, tamper=True), 1000)


async def test_documented_request_end_to_end() -> None:
    """The documented request authenticates (seed signature) and its body decodes and verifies."""
    identity = await doc_identity()
    assert identity.seed_signature == DOC_SEED
    body = doc_body()
    messages = [{"type": "http.request", "body": body[i : i + 5000], "more_body": i + 5000 < len(body)}
                for i in range(0, len(body), 5000)]  # fmt: skip

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    scope = doc_scope()
    reader = RequestBody(receive, headers_from_scope(scope), identity, chunk_bytes=4096)
    assert reader.require_length(1 << 20) == 66560
    pieces = [piece async for piece in reader.chunks(66560)]
    assert b"".join(pieces) == b"a" * 66560
    assert max(len(p) for p in pieces) <= 4096
