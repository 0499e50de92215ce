"""Authenticate one S3 request: find the claimed signature (header or presigned query), check its
time window, fetch the secret from the backend and compare signatures in constant time.

The result, :class:`Identity`, also carries what the body decoder needs to verify the payload
(the declared payload hash, and the signing key and seed signature for signed chunks).
"""

from __future__ import annotations

import calendar
import itertools
import time
from dataclasses import dataclass
from typing import Protocol

from objectio.gateway import errors
from objectio.gateway.auth import sigv4
from objectio.gateway.backend import AccessKey
from objectio.gateway.request import S3Request


class KeyLookup(Protocol):
    """Where secrets come from: the backend (which caches them: ``datapath.access_key_cache_seconds``)."""

    async def lookup_key(self, access_key: str) -> AccessKey | None: ...


@dataclass(frozen=True, slots=True)
class Identity:
    key: AccessKey
    payload_hash: str  # hex sha256, UNSIGNED-PAYLOAD or one of the STREAMING-* values
    signing_key: bytes
    scope: str
    amz_date: str
    seed_signature: str  # the request's own signature: chunk signatures chain from it

    @property
    def user(self) -> str:
        """The caller's user name; '' for an anonymous request."""
        user: str = self.key.user
        return user

    @property
    def anonymous(self) -> bool:
        return not self.key.access_key


ANONYMOUS_KEY = AccessKey("", "", "", False)
ANONYMOUS_PAYLOAD_MODES = frozenset({sigv4.UNSIGNED_PAYLOAD, sigv4.STREAMING_UNSIGNED_TRAILER})


def anonymous_identity(req: S3Request) -> Identity:
    """An unsigned request: evaluated as principal ``*``. Its body can be checked only against
    a declared sha256; a signed streaming mode cannot be honoured without a signature."""
    mode = req.headers.get("x-amz-content-sha256", sigv4.UNSIGNED_PAYLOAD)
    if mode not in ANONYMOUS_PAYLOAD_MODES and not sigv4.SHA256_HEX_RE.match(mode):
        raise errors.AccessDenied("Signed payloads need a signed request.")
    return Identity(ANONYMOUS_KEY, mode, b"", "", "", "")


def amz_date_seconds(amz_date: str) -> int:
    """Seconds since the epoch of ``YYYYMMDDTHHMMSSZ`` (already matched by AMZ_DATE_RE)."""
    d = amz_date
    fields = (int(d[0:4]), int(d[4:6]), int(d[6:8]), int(d[9:11]), int(d[11:13]), int(d[13:15]))
    if not (1 <= fields[1] <= 12 and 1 <= fields[2] <= 31 and fields[3] < 24 and fields[4] < 60 and fields[5] < 61):
        raise ValueError(amz_date)
    return calendar.timegm(fields)


def is_presigned(req: S3Request) -> bool:
    return "X-Amz-Signature" in req.query or "X-Amz-Credential" in req.query


def has_credentials(req: S3Request) -> bool:
    return "authorization" in req.headers or is_presigned(req)


def _payload_hash(req: S3Request, presigned: bool) -> str:
    if presigned:
        presigned_hash: str = req.query.get("X-Amz-Content-Sha256", sigv4.UNSIGNED_PAYLOAD)
        return presigned_hash
    value: str | None = req.headers.get("x-amz-content-sha256")
    if value is None:
        raise errors.InvalidRequest("Missing required header for this request: x-amz-content-sha256")
    if value == sigv4.UNSIGNED_PAYLOAD or value in sigv4.STREAMING_MODES or sigv4.SHA256_HEX_RE.match(value):
        return value
    raise errors.InvalidArgument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-* or a hex sha256 value")


def _check_time(claim: sigv4.ClaimedSignature, now: float, skew_max: int) -> None:
    try:
        signed_at = amz_date_seconds(claim.amz_date)
    except ValueError:
        raise errors.AccessDenied("AWS authentication requires a valid Date or x-amz-date header") from None
    if claim.expires_seconds is None:
        if abs(now - signed_at) > skew_max:
            raise errors.RequestTimeTooSkewed(
                fields={"RequestTime": claim.amz_date, "MaxAllowedSkewMilliseconds": str(skew_max * 1000)}
            )
        return
    if signed_at - now > skew_max:
        raise errors.AccessDenied("Request is not valid yet")
    if now > signed_at + claim.expires_seconds:
        raise errors.request_expired()


def _check_amz_headers_signed(req: S3Request, claim: sigv4.ClaimedSignature) -> None:
    """As AWS: with header auth every x-amz-* header must be signed (none can be slipped in)."""
    unsigned = [n for n in req.headers if n.startswith("x-amz-") and n not in claim.signed_headers]
    if unsigned:
        raise errors.AccessDenied(
            "There were headers present in the request which were not signed",
            fields={"HeadersNotSigned": ", ".join(sorted(unsigned))},
        )


def claimed_signature(req: S3Request, presign_expires_max: int) -> sigv4.ClaimedSignature:
    header = req.headers.get("authorization")
    if header is not None and is_presigned(req):
        raise errors.InvalidArgument(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query or the Authorization header may be given"
        )
    if header is not None:
        amz_date = req.headers.get("x-amz-date", "")
        return sigv4.parse_authorization_header(header, amz_date)
    return sigv4.parse_presigned_query(req.query, presign_expires_max)


async def authenticate(
    req: S3Request,
    keys: KeyLookup,
    cache: sigv4.SigningKeyCache,
    *,
    region: str,
    skew_max_seconds: int,
    presign_expires_max_seconds: int,
    now: float | None = None,
) -> Identity:
    """The caller's identity; an anonymous one (user '') for a request without credentials."""
    if not has_credentials(req):
        if "AWSAccessKeyId" in req.query:  # a SigV2 presigned URL
            raise errors.InvalidRequest(
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
            )
        return anonymous_identity(req)
    claim = claimed_signature(req, presign_expires_max_seconds)
    presigned = claim.expires_seconds is not None
    if claim.credential.region != region:
        error = errors.AuthorizationQueryParametersError if presigned else errors.AuthorizationHeaderMalformed
        raise error(
            f"The authorization header is malformed; the region '{claim.credential.region}' is wrong; "
            f"expecting '{region}'",
            fields={"Region": region},
        )
    _check_time(claim, time.time() if now is None else now, skew_max_seconds)
    if not presigned:
        _check_amz_headers_signed(req, claim)
    payload_hash = _payload_hash(req, presigned)
    key = await keys.lookup_key(claim.credential.access_key)
    if key is None:
        raise errors.InvalidAccessKeyId(fields={"AWSAccessKeyId": claim.credential.access_key})
    signing_key = cache.get(key.access_key, key.secret_key, claim.credential.date, region)
    scope = claim.credential.scope
    header_block = sigv4.canonical_headers(req.headers, claim.signed_headers)
    queries = sigv4.canonical_query_candidates(req.raw_query, drop_signature=presigned)
    for uri, query in itertools.product(sigv4.canonical_uri_candidates(req.raw_path), queries):
        canonical = sigv4.canonical_request(req.method, uri, query, header_block, claim.signed_headers, payload_hash)
        expected = sigv4.sign(signing_key, sigv4.string_to_sign(claim.amz_date, scope, canonical))
        if sigv4.signatures_equal(expected, claim.signature):
            return Identity(key, payload_hash, signing_key, scope, claim.amz_date, claim.signature)
    raise errors.SignatureDoesNotMatch(fields={"AWSAccessKeyId": claim.credential.access_key})
