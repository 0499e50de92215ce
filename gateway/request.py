"""Parse an HTTP request into one :class:`S3Request` naming the S3 operation.

Pure protocol logic: it reads the ASGI scope (method, raw path, query, headers) and decides
path- or virtual-host style, the bucket, the key and the operation. The key is the
percent-decoded path remainder, kept as an opaque string: ``..``, ``//`` or ``\\0`` in a key are
ordinary characters and are never interpreted as a file-system path anywhere in the gateway.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus, unquote_to_bytes

from objectio.gateway import errors

KEY_BYTES_MAX = 1024
BUCKET_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class S3Op(enum.Enum):
    LIST_BUCKETS = "ListBuckets"
    CREATE_BUCKET = "CreateBucket"
    DELETE_BUCKET = "DeleteBucket"
    HEAD_BUCKET = "HeadBucket"
    GET_BUCKET_LOCATION = "GetBucketLocation"
    LIST_OBJECTS = "ListObjects"
    LIST_OBJECTS_V2 = "ListObjectsV2"
    DELETE_OBJECTS = "DeleteObjects"
    PUT_OBJECT = "PutObject"
    COPY_OBJECT = "CopyObject"
    CREATE_MULTIPART_UPLOAD = "CreateMultipartUpload"
    UPLOAD_PART = "UploadPart"
    UPLOAD_PART_COPY = "UploadPartCopy"
    COMPLETE_MULTIPART_UPLOAD = "CompleteMultipartUpload"
    ABORT_MULTIPART_UPLOAD = "AbortMultipartUpload"
    LIST_PARTS = "ListParts"
    LIST_MULTIPART_UPLOADS = "ListMultipartUploads"
    LIST_OBJECT_VERSIONS = "ListObjectVersions"
    GET_BUCKET_VERSIONING = "GetBucketVersioning"
    PUT_BUCKET_VERSIONING = "PutBucketVersioning"
    GET_OBJECT_TAGGING = "GetObjectTagging"
    PUT_OBJECT_TAGGING = "PutObjectTagging"
    DELETE_OBJECT_TAGGING = "DeleteObjectTagging"
    GET_OBJECT_ATTRIBUTES = "GetObjectAttributes"
    PUT_BUCKET_CORS = "PutBucketCors"
    GET_BUCKET_CORS = "GetBucketCors"
    DELETE_BUCKET_CORS = "DeleteBucketCors"
    CORS_PREFLIGHT = "CorsPreflight"  # OPTIONS on a bucket or object; never signed
    PUT_BUCKET_TAGGING = "PutBucketTagging"
    GET_BUCKET_TAGGING = "GetBucketTagging"
    DELETE_BUCKET_TAGGING = "DeleteBucketTagging"
    GET_SUBRESOURCE = "GetSubresource"  # read a sub-resource that is never configured here (acl, versioning...)
    GET_OBJECT = "GetObject"
    HEAD_OBJECT = "HeadObject"
    DELETE_OBJECT = "DeleteObject"
    UNSUPPORTED = "Unsupported"  # a recognised S3 feature this gateway does not implement
    # Access control (handlers/policy.py, handlers/acl.py, handlers/public_access.py).
    GET_BUCKET_POLICY = "GetBucketPolicy"
    PUT_BUCKET_POLICY = "PutBucketPolicy"
    DELETE_BUCKET_POLICY = "DeleteBucketPolicy"
    GET_BUCKET_POLICY_STATUS = "GetBucketPolicyStatus"
    GET_BUCKET_ACL = "GetBucketAcl"
    PUT_BUCKET_ACL = "PutBucketAcl"
    GET_OBJECT_ACL = "GetObjectAcl"
    PUT_OBJECT_ACL = "PutObjectAcl"
    GET_PUBLIC_ACCESS_BLOCK = "GetPublicAccessBlock"
    PUT_PUBLIC_ACCESS_BLOCK = "PutPublicAccessBlock"
    DELETE_PUBLIC_ACCESS_BLOCK = "DeletePublicAccessBlock"
    GET_BUCKET_OWNERSHIP_CONTROLS = "GetBucketOwnershipControls"
    PUT_BUCKET_OWNERSHIP_CONTROLS = "PutBucketOwnershipControls"
    DELETE_BUCKET_OWNERSHIP_CONTROLS = "DeleteBucketOwnershipControls"


# Sub-resources and request features that select an S3 operation we do not implement: answering
# them as if they were plain object/bucket requests would be a silent wrong answer.
UNSUPPORTED_SUBRESOURCES = frozenset(
    """accelerate acl analytics attributes cors encryption intelligent-tiering inventory legal-hold
    lifecycle logging metadataConfiguration metadataTable metrics notification object-lock
    ownershipControls policy policyStatus publicAccessBlock renameObject replication requestPayment
    restore retention select session tagging torrent versioning versions website""".split()  # noqa: SIM905
)
# Reading these is answered truthfully ("nothing configured"; ACLs: private, owner FULL_CONTROL);
# writing them stays NotImplemented.
READABLE_BUCKET_SUBRESOURCES = frozenset(
    """accelerate acl encryption lifecycle logging notification object-lock ownershipControls policy
    publicAccessBlock replication requestPayment versioning versions website""".split()  # noqa: SIM905
)
READABLE_OBJECT_SUBRESOURCES: frozenset[str] = frozenset()  # acl and tagging are operations of their own
# Bucket configuration documents with handlers of their own: (sub-resource, method) -> operation.
BUCKET_CONFIGURATION_OPS = {
    ("cors", "PUT"): S3Op.PUT_BUCKET_CORS,
    ("cors", "GET"): S3Op.GET_BUCKET_CORS,
    ("cors", "DELETE"): S3Op.DELETE_BUCKET_CORS,
    ("tagging", "PUT"): S3Op.PUT_BUCKET_TAGGING,
    ("tagging", "GET"): S3Op.GET_BUCKET_TAGGING,
    ("tagging", "DELETE"): S3Op.DELETE_BUCKET_TAGGING,
}
# (sub-resource, method, on an object) -> access-control operation.
ACCESS_SUBRESOURCE_OPS = {
    ("policy", "GET", False): S3Op.GET_BUCKET_POLICY,
    ("policy", "PUT", False): S3Op.PUT_BUCKET_POLICY,
    ("policy", "DELETE", False): S3Op.DELETE_BUCKET_POLICY,
    ("policyStatus", "GET", False): S3Op.GET_BUCKET_POLICY_STATUS,
    ("acl", "GET", False): S3Op.GET_BUCKET_ACL,
    ("acl", "PUT", False): S3Op.PUT_BUCKET_ACL,
    ("acl", "GET", True): S3Op.GET_OBJECT_ACL,
    ("acl", "PUT", True): S3Op.PUT_OBJECT_ACL,
    ("publicAccessBlock", "GET", False): S3Op.GET_PUBLIC_ACCESS_BLOCK,
    ("publicAccessBlock", "PUT", False): S3Op.PUT_PUBLIC_ACCESS_BLOCK,
    ("publicAccessBlock", "DELETE", False): S3Op.DELETE_PUBLIC_ACCESS_BLOCK,
    ("ownershipControls", "GET", False): S3Op.GET_BUCKET_OWNERSHIP_CONTROLS,
    ("ownershipControls", "PUT", False): S3Op.PUT_BUCKET_OWNERSHIP_CONTROLS,
    ("ownershipControls", "DELETE", False): S3Op.DELETE_BUCKET_OWNERSHIP_CONTROLS,
}
UNSUPPORTED_HEADERS = {
    "x-amz-server-side-encryption": "SSE",
    "x-amz-server-side-encryption-customer-algorithm": "SSE-C",
    "x-amz-object-lock-mode": "ObjectLock",
    "x-amz-website-redirect-location": "WebsiteRedirect",
    "x-amz-write-offset-bytes": "Append (x-amz-write-offset-bytes)",
    "x-amz-copy-source-server-side-encryption-customer-algorithm": "SSE-C",
}
STORAGE_CLASS = "STANDARD"


@dataclass(frozen=True, slots=True)
class S3Request:
    op: S3Op
    method: str
    bucket: str  # "" for service-level requests
    key: str  # "" for bucket-level requests
    query: dict[str, str]  # decoded; first value of each parameter
    headers: dict[str, str]  # lower-case names; repeated headers joined with ","
    raw_path: str
    raw_query: str
    unsupported: str = ""  # the feature named when op is UNSUPPORTED; the sub-resource for GET_SUBRESOURCE

    @property
    def resource(self) -> str:
        """The ``<Resource>`` of an error body."""
        if not self.bucket:
            return "/"
        return f"/{self.bucket}/{self.key}" if self.key else f"/{self.bucket}"


def headers_from_scope(scope: dict[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


def parse_query(raw_query: str) -> dict[str, str]:
    query: dict[str, str] = {}
    if not raw_query:
        return query
    for part in raw_query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        query.setdefault(unquote_plus(name), unquote_plus(value))
    return query


def decode_path(raw_path: bytes) -> str:
    try:
        return unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError:
        raise errors.InvalidArgument("The request path is not valid UTF-8.") from None


def split_bucket_key(host: str, path: str, domain: str) -> tuple[str, str]:
    """Virtual-host style when ``host`` is ``<bucket>.<domain>``; path style otherwise."""
    if domain:
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        hostname = hostname.lower()
        if hostname.endswith("." + domain):
            return hostname[: -len(domain) - 1], path[1:]
    bucket, _, key = path[1:].partition("/")
    return bucket, key


def validate_bucket_name(name: str) -> None:
    if not BUCKET_NAME_RE.match(name) or ".." in name or ".-" in name or "-." in name:
        raise errors.InvalidBucketName(fields={"BucketName": name})
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return
    raise errors.InvalidBucketName(fields={"BucketName": name})


def validate_key(key: str) -> None:
    """S3 keys are any UTF-8 up to 1024 bytes; ``..`` and NUL are stored verbatim, never as paths."""
    if len(key.encode("utf-8")) > KEY_BYTES_MAX:
        raise errors.KeyTooLongError()


def _multipart_op(method: str, query: dict[str, str], headers: dict[str, str]) -> S3Op:
    if "uploadId" not in query:
        if method == "POST" and "uploads" in query:
            return S3Op.CREATE_MULTIPART_UPLOAD
        if method in ("GET", "HEAD") and "partNumber" in query:  # one part of a (multipart) object
            return S3Op.GET_OBJECT if method == "GET" else S3Op.HEAD_OBJECT
        raise errors.MethodNotAllowed()
    if method == "PUT" and "partNumber" in query:
        return S3Op.UPLOAD_PART_COPY if "x-amz-copy-source" in headers else S3Op.UPLOAD_PART
    op = {
        "POST": S3Op.COMPLETE_MULTIPART_UPLOAD,
        "DELETE": S3Op.ABORT_MULTIPART_UPLOAD,
        "GET": S3Op.LIST_PARTS,
    }.get(method)
    if op is None:
        raise errors.MethodNotAllowed()
    return op


def _choose_op(method: str, bucket: str, key: str, query: dict[str, str], headers: dict[str, str]) -> S3Op:
    if not bucket:
        if method == "GET":
            return S3Op.LIST_BUCKETS
        raise errors.MethodNotAllowed()
    if not key:
        if method == "GET":
            if "location" in query:
                return S3Op.GET_BUCKET_LOCATION
            if "uploads" in query:
                return S3Op.LIST_MULTIPART_UPLOADS
            return S3Op.LIST_OBJECTS_V2 if query.get("list-type") == "2" else S3Op.LIST_OBJECTS
        if method == "POST" and "delete" in query:
            return S3Op.DELETE_OBJECTS
        op = {"PUT": S3Op.CREATE_BUCKET, "DELETE": S3Op.DELETE_BUCKET, "HEAD": S3Op.HEAD_BUCKET}.get(method)
    elif "uploadId" in query or "uploads" in query or "partNumber" in query:
        return _multipart_op(method, query, headers)
    elif method == "PUT" and "x-amz-copy-source" in headers:
        op = S3Op.COPY_OBJECT
    else:
        op = {
            "PUT": S3Op.PUT_OBJECT,
            "GET": S3Op.GET_OBJECT,
            "HEAD": S3Op.HEAD_OBJECT,
            "DELETE": S3Op.DELETE_OBJECT,
        }.get(method)
    if op is None:
        raise errors.MethodNotAllowed() if method not in ("POST",) else errors.NotImplemented()
    return op


def parse_request(scope: dict[str, Any], headers: dict[str, str], domain: str) -> S3Request:
    method: str = scope["method"]
    raw_path_bytes: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    raw_path = raw_path_bytes.decode("latin-1")
    raw_query = scope["query_string"].decode("latin-1")
    if not raw_path.startswith("/"):
        raise errors.InvalidRequest("The request path must start with '/'.")
    query = parse_query(raw_query)
    host = headers.get("host") or headers.get(":authority", "")
    bucket, key = split_bucket_key(host, decode_path(raw_path_bytes), domain)
    if bucket:
        validate_bucket_name(bucket)
    if key:
        validate_key(key)
    if method == "OPTIONS" and bucket:
        return S3Request(S3Op.CORS_PREFLIGHT, method, bucket, key, query, headers, raw_path, raw_query)
    feature_op = _versioning_op(method, bucket, key, query)
    if feature_op is not None:
        return S3Request(feature_op, method, bucket, key, query, headers, raw_path, raw_query)
    subresource = next((name for name in query if name in UNSUPPORTED_SUBRESOURCES), "")
    if bucket and not key and (subresource, method) in BUCKET_CONFIGURATION_OPS:
        op = BUCKET_CONFIGURATION_OPS[(subresource, method)]
        return S3Request(op, method, bucket, key, query, headers, raw_path, raw_query, subresource)
    access_op = ACCESS_SUBRESOURCE_OPS.get((subresource, method, bool(key))) if bucket else None
    if access_op is not None:
        return S3Request(access_op, method, bucket, key, query, headers, raw_path, raw_query, subresource)
    if subresource and _readable(method, bucket, key, subresource):
        op = S3Op.LIST_OBJECT_VERSIONS if subresource == "versions" else S3Op.GET_SUBRESOURCE
        return S3Request(op, method, bucket, key, query, headers, raw_path, raw_query, subresource)
    unsupported = subresource or unsupported_header(headers)
    op = S3Op.UNSUPPORTED if unsupported else _choose_op(method, bucket, key, query, headers)
    return S3Request(op, method, bucket, key, query, headers, raw_path, raw_query, unsupported)


_VERSIONING_OPS = {"GET": S3Op.GET_BUCKET_VERSIONING, "PUT": S3Op.PUT_BUCKET_VERSIONING}
_TAGGING_OPS = {"GET": S3Op.GET_OBJECT_TAGGING, "PUT": S3Op.PUT_OBJECT_TAGGING, "DELETE": S3Op.DELETE_OBJECT_TAGGING}


def _versioning_op(method: str, bucket: str, key: str, query: dict[str, str]) -> S3Op | None:
    """Bucket versioning, object tagging and GetObjectAttributes (None: another operation)."""
    if not bucket:
        return None
    table, name = (_TAGGING_OPS, "tagging") if key else (_VERSIONING_OPS, "versioning")
    if name in query:
        if method not in table:
            raise errors.MethodNotAllowed()
        return table[method]
    if key and "attributes" in query and method == "GET":
        return S3Op.GET_OBJECT_ATTRIBUTES
    return None


def _readable(method: str, bucket: str, key: str, subresource: str) -> bool:
    if method != "GET" or not bucket:
        return False
    return subresource in (READABLE_OBJECT_SUBRESOURCES if key else READABLE_BUCKET_SUBRESOURCES)


def unsupported_header(headers: dict[str, str]) -> str:
    """The feature a header asks for that we cannot honour ('' if none): never a silent no."""
    return next((feature for h, feature in UNSUPPORTED_HEADERS.items() if h in headers), "")


def check_storage_class(headers: dict[str, str]) -> None:
    """Writes may name only the one storage class there is (called by the writing handlers)."""
    value = headers.get("x-amz-storage-class")
    if value is not None and value.strip().upper() != STORAGE_CLASS:
        raise errors.InvalidStorageClass(fields={"StorageClassRequested": value})
