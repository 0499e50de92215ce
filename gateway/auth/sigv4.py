"""AWS Signature Version 4 for S3: parsing what the client claims and computing what it should be.

No I/O and no clock: callers pass the secret and the time. Reference: the AWS SigV4 spec —
canonical request = method, canonical URI, canonical query, canonical headers, signed headers,
payload hash (one per line); string to sign = algorithm, request time, scope, sha256(canonical
request); signature = HMAC chain over "AWS4"+secret, date, region, service, "aws4_request".
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import quote, unquote

from objectio.gateway import errors

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "s3"
TERMINATOR = "aws4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
STREAMING_MODES = frozenset({STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER})
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
SHA256_HEX_RE = re.compile(r"^[0-9a-f]{64}$")
AMZ_DATE_RE = re.compile(r"^\d{8}T\d{6}Z$")
SIGNATURE_RE = re.compile(r"^[0-9a-f]{64}$")
PLAIN_PATH_RE = re.compile(r"^[A-Za-z0-9\-_.~/]*$")
UNRESERVED = "-_.~"  # plus ASCII letters and digits, which quote() never escapes


@dataclass(frozen=True, slots=True)
class Credential:
    access_key: str
    date: str  # YYYYMMDD
    region: str
    service: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{TERMINATOR}"


@dataclass(frozen=True, slots=True)
class ClaimedSignature:
    """What the request says about its own signature (header or presigned query)."""

    credential: Credential
    amz_date: str  # YYYYMMDDTHHMMSSZ
    signed_headers: tuple[str, ...]
    signature: str
    expires_seconds: int | None  # presigned only


def parse_credential(value: str, error: type[errors.S3Error]) -> Credential:
    parts = value.split("/")
    if len(parts) != 5 or parts[4] != TERMINATOR or not parts[0]:
        raise error(f"The credential '{value}' is malformed; expecting '<key>/<YYYYMMDD>/<region>/s3/aws4_request'.")
    if not re.fullmatch(r"\d{8}", parts[1]):
        raise error(f"Invalid credential date '{parts[1]}'.")
    return Credential(parts[0], parts[1], parts[2], parts[3])


def parse_authorization_header(value: str, amz_date: str) -> ClaimedSignature:
    """Parse ``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``."""
    malformed = errors.AuthorizationHeaderMalformed
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise errors.InvalidRequest(
            "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
        )
    fields: dict[str, str] = {}
    for item in rest.split(","):
        name, sep, field_value = item.strip().partition("=")
        if not sep:
            raise malformed(f"The authorization header is malformed; '{name}' has no value.")
        fields[name] = field_value
    missing = [n for n in ("Credential", "SignedHeaders", "Signature") if n not in fields]
    if missing:
        raise malformed(f"The authorization header is malformed; missing {', '.join(missing)}.")
    return _claim(fields["Credential"], fields["SignedHeaders"], fields["Signature"], amz_date, None, malformed)


def parse_presigned_query(query: dict[str, str], expires_max_seconds: int) -> ClaimedSignature:
    error = errors.AuthorizationQueryParametersError
    needed = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders")
    missing = [n for n in (*needed, "X-Amz-Signature") if n not in query]
    if missing:
        raise error(f"Query-string authentication requires {', '.join(missing)}.")
    if query["X-Amz-Algorithm"] != ALGORITHM:
        raise error('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
    expires = query["X-Amz-Expires"]
    if not expires.isdigit() or not 1 <= int(expires) <= expires_max_seconds:
        raise error(f"X-Amz-Expires must be between 1 and {expires_max_seconds} seconds.")
    return _claim(
        query["X-Amz-Credential"],
        query["X-Amz-SignedHeaders"],
        query["X-Amz-Signature"],
        query["X-Amz-Date"],
        int(expires),
        error,
    )


def _claim(
    credential: str,
    signed_headers: str,
    signature: str,
    amz_date: str,
    expires: int | None,
    error: type[errors.S3Error],
) -> ClaimedSignature:
    cred = parse_credential(credential, error)
    if not AMZ_DATE_RE.match(amz_date):
        raise errors.AccessDenied("AWS authentication requires a valid Date or x-amz-date header")
    if cred.date != amz_date[:8]:
        raise error(f"Invalid credential date '{cred.date}': it does not match the request date {amz_date[:8]}.")
    if cred.service != SERVICE:
        raise error(f"The credential is for service '{cred.service}'; expecting 's3'.")
    names = tuple(signed_headers.split(";"))
    if "host" not in names or any(n != n.lower() or not n for n in names):
        raise error("SignedHeaders must be lower-case, ';'-separated and include 'host'.")
    if not SIGNATURE_RE.match(signature):
        raise error("The signature must be 64 lower-case hex characters.")
    return ClaimedSignature(cred, amz_date, names, signature, expires)


def uri_encode(text: str, *, keep_slash: bool) -> str:
    """AWS URI encoding: every byte except A-Z a-z 0-9 - _ . ~ (and '/' in paths) as %XX."""
    return quote(text, safe=UNRESERVED + ("/" if keep_slash else ""))


def canonical_uri_candidates(raw_path: str) -> list[str]:
    """The path as sent, and (if different) its AWS-normalised encoding: clients differ on which
    characters they escape in the request line but sign the encoding AWS defines."""
    if PLAIN_PATH_RE.match(raw_path):
        return [raw_path]  # nothing escaped and nothing to escape: already canonical
    normalised = uri_encode(unquote(raw_path), keep_slash=True)
    return [raw_path] if normalised == raw_path else [raw_path, normalised]


CACHED_COMPONENT_CHARS_MAX = 256  # longer query values are encoded each time, not cached


@functools.lru_cache(maxsize=4096)
def _canonical_component(raw: str) -> str:
    """Query names and values recur (X-Amz-Credential, list-type, prefixes): cache their form."""
    return uri_encode(unquote(raw), keep_slash=False)


def canonical_query_candidates(raw_query: str, *, drop_signature: bool) -> list[str]:
    """The AWS-normalised canonical query, then (if different) the parameters sorted as sent:
    some signers use the query string as it appears in the URL without re-encoding it."""
    normalised = canonical_query(raw_query, drop_signature=drop_signature)
    pairs = sorted(
        (name, value)
        for name, _, value in (part.partition("=") for part in raw_query.split("&") if part)
        if not (drop_signature and name == "X-Amz-Signature")
    )
    as_sent = "&".join(f"{n}={v}" for n, v in pairs)
    return [normalised] if as_sent == normalised else [normalised, as_sent]


def canonical_query(raw_query: str, *, drop_signature: bool) -> str:
    pairs: list[tuple[str, str]] = []
    for part in raw_query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        name = _canonical_component(name)
        if drop_signature and name == "X-Amz-Signature":
            continue
        if len(value) > CACHED_COMPONENT_CHARS_MAX:
            pairs.append((name, uri_encode(unquote(value), keep_slash=False)))
        else:
            pairs.append((name, _canonical_component(value)))
    pairs.sort()
    return "&".join(f"{n}={v}" for n, v in pairs)


def canonical_headers(headers: dict[str, str], signed: tuple[str, ...]) -> str:
    lines = []
    for name in signed:
        value = headers.get(name)
        if value is None and name == "host":
            value = headers.get(":authority")
        if value is None:
            raise errors.AccessDenied(f"The signed header '{name}' is not present in the request.")
        lines.append(f"{name}:{' '.join(value.split())}\n")
    return "".join(lines)


def canonical_request(
    method: str, uri: str, query: str, header_block: str, signed: tuple[str, ...], payload_hash: str
) -> str:
    return f"{method}\n{uri}\n{query}\n{header_block}\n{';'.join(signed)}\n{payload_hash}"


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


def chunk_string_to_sign(amz_date: str, scope: str, previous: str, chunk_sha256_hex: str) -> str:
    return f"{ALGORITHM}-PAYLOAD\n{amz_date}\n{scope}\n{previous}\n{EMPTY_SHA256}\n{chunk_sha256_hex}"


def trailer_string_to_sign(amz_date: str, scope: str, previous: str, trailer_sha256_hex: str) -> str:
    return f"{ALGORITHM}-TRAILER\n{amz_date}\n{scope}\n{previous}\n{trailer_sha256_hex}"


def derive_signing_key(secret: str, date: str, region: str, service: str = SERVICE) -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, TERMINATOR):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def sign(signing_key: bytes, text: str) -> str:
    return hmac.new(signing_key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def signatures_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class SigningKeyCache:
    """LRU of derived signing keys: four HMACs saved per request. Keyed on a digest of the secret
    too, so a rotated secret never reuses an old key; secrets themselves are not kept."""

    def __init__(self, entries_max: int) -> None:
        if entries_max <= 0:
            raise ValueError("entries_max must be positive")
        self._entries_max = entries_max
        self._keys: OrderedDict[tuple[str, str, str, bytes], bytes] = OrderedDict()

    def get(self, access_key: str, secret: str, date: str, region: str) -> bytes:
        secret_id = hashlib.sha256(secret.encode()).digest()[:16]
        slot = (access_key, date, region, secret_id)
        key = self._keys.get(slot)
        if key is None:
            key = derive_signing_key(secret, date, region)
            self._keys[slot] = key
            if len(self._keys) > self._entries_max:
                self._keys.popitem(last=False)
        else:
            self._keys.move_to_end(slot)
        return key

    def __len__(self) -> int:
        return len(self._keys)
