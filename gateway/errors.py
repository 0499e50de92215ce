"""S3 errors: one class per AWS error code, each with its HTTP status and default message.

Handlers raise these; the app renders them as the S3 XML error body. Backend domain exceptions
are translated in exactly one place, :func:`from_backend`. Anything else becomes InternalError.
"""

from __future__ import annotations

import email.utils
from typing import ClassVar
from xml.sax.saxutils import escape

from objectio.gateway import backend as be


class S3Error(Exception):
    code: ClassVar[str] = "InternalError"
    status: ClassVar[int] = 500
    default_message: ClassVar[str] = "We encountered an internal error. Please try again."
    has_body: ClassVar[bool] = True

    def __init__(
        self,
        message: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        fields: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        super().__init__(f"{self.code}: {self.message}")
        self.headers = headers or {}  # extra response headers (Content-Range, Allow, ...)
        self.fields = fields or {}  # extra XML elements (RequestTime, BucketName, ...)

    def to_xml(self, resource: str, request_id: str) -> bytes:
        extra = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in self.fields.items())
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{escape(self.message)}</Message>{extra}"
            f"<Resource>{escape(resource)}</Resource><RequestId>{request_id}</RequestId></Error>"
        ).encode()


def _error(code: str, status: int, message: str, *, has_body: bool = True) -> type[S3Error]:
    return type(code, (S3Error,), {"code": code, "status": status, "default_message": message, "has_body": has_body})


# fmt: off
AccessDenied = _error("AccessDenied", 403, "Access Denied")
SignatureDoesNotMatch = _error("SignatureDoesNotMatch", 403,
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
InvalidAccessKeyId = _error("InvalidAccessKeyId", 403,
    "The AWS Access Key Id you provided does not exist in our records.")
RequestTimeTooSkewed = _error("RequestTimeTooSkewed", 403,
    "The difference between the request time and the current time is too large.")
AuthorizationHeaderMalformed = _error("AuthorizationHeaderMalformed", 400,
    "The authorization header is malformed.")
AuthorizationQueryParametersError = _error("AuthorizationQueryParametersError", 400,
    "Error parsing the X-Amz-Credential parameter.")
ExpiredToken = _error("ExpiredToken", 400, "The provided token has expired.")
NoSuchBucket = _error("NoSuchBucket", 404, "The specified bucket does not exist")
NoSuchKey = _error("NoSuchKey", 404, "The specified key does not exist.")
BucketNotEmpty = _error("BucketNotEmpty", 409, "The bucket you tried to delete is not empty")
BucketAlreadyOwnedByYou = _error("BucketAlreadyOwnedByYou", 409,
    "Your previous request to create the named bucket succeeded and you already own it.")
BucketAlreadyExists = _error("BucketAlreadyExists", 409,
    "The requested bucket name is not available. The bucket namespace is shared by all users of the system.")
InvalidBucketName = _error("InvalidBucketName", 400, "The specified bucket is not valid.")
KeyTooLongError = _error("KeyTooLongError", 400, "Your key is too long")
InvalidArgument = _error("InvalidArgument", 400, "Invalid Argument")
InvalidRange = _error("InvalidRange", 416, "The requested range is not satisfiable")
BadDigest = _error("BadDigest", 400, "The Content-MD5 or checksum you specified did not match what we received.")
InvalidDigest = _error("InvalidDigest", 400, "The Content-MD5 or checksum you specified is not valid.")
XAmzContentSHA256Mismatch = _error("XAmzContentSHA256Mismatch", 400,
    "The provided 'x-amz-content-sha256' header does not match what was computed.")
IncompleteBody = _error("IncompleteBody", 400,
    "You did not provide the number of bytes specified by the Content-Length HTTP header.")
EntityTooLarge = _error("EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed object size.")
MalformedXML = _error("MalformedXML", 400,
    "The XML you provided was not well-formed or did not validate against our published schema.")
MissingContentLength = _error("MissingContentLength", 411, "You must provide the Content-Length HTTP header.")
PreconditionFailed = _error("PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold")
NotModified = _error("NotModified", 304, "Not Modified", has_body=False)
MethodNotAllowed = _error("MethodNotAllowed", 405, "The specified method is not allowed against this resource.")
NotImplemented = _error("NotImplemented", 501,
    "A header or query you provided implies functionality that is not implemented.")
InternalError = S3Error
ServiceUnavailable = _error("ServiceUnavailable", 503, "Please reduce your request rate.")
SlowDown = _error("SlowDown", 503, "Please reduce your request rate.")
InsufficientStorage = _error("InsufficientStorage", 507,
    "Your request could not be completed because the cluster is out of space.")
RequestHeaderSectionTooLarge = _error("RequestHeaderSectionTooLarge", 400,
    "Your request header section exceeds the maximum allowed size.")
InvalidRequest = _error("InvalidRequest", 400, "Invalid Request")
MissingSecurityHeader = _error("MissingSecurityHeader", 400, "Your request is missing a required header.")
MetadataTooLarge = _error("MetadataTooLarge", 400,
    "Your metadata headers exceed the maximum allowed metadata size.")
NoSuchUpload = _error("NoSuchUpload", 404,
    "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload "
    "might have been aborted or completed.")
InvalidPart = _error("InvalidPart", 400,
    "One or more of the specified parts could not be found. The part might not have been uploaded, or the "
    "specified entity tag might not have matched the part's entity tag.")
InvalidPartOrder = _error("InvalidPartOrder", 400,
    "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
EntityTooSmall = _error("EntityTooSmall", 400, "Your proposed upload is smaller than the minimum allowed object size.")
InvalidStorageClass = _error("InvalidStorageClass", 400, "The storage class you specified is not valid")
NoSuchVersion = _error("NoSuchVersion", 404, "The specified version does not exist.")
InvalidTag = _error("InvalidTag", 400, "The tag provided was not a valid tag.")
IllegalVersioningConfigurationException = _error("IllegalVersioningConfigurationException", 400,
    "The versioning configuration specified in the request is invalid.")
# Access control (policies, ACLs, ownership).
MalformedPolicy = _error("MalformedPolicy", 400, "Policies must be valid JSON and the first byte must be '{'")
MalformedACLError = _error("MalformedACLError", 400,
    "The XML you provided was not well-formed or did not validate against our published schema")
UnresolvableGrantByEmailAddress = _error("UnresolvableGrantByEmailAddress", 400,
    "The e-mail address you provided does not match any account on record.")
AccessControlListNotSupported = _error("AccessControlListNotSupported", 400, "The bucket does not allow ACLs")
InvalidBucketAclWithObjectOwnership = _error("InvalidBucketAclWithObjectOwnership", 400,
    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
# CORS and bucket tagging (gateway/cors.py, gateway/tagset.py).
BadRequest = _error("BadRequest", 400, "Bad Request")
AccessForbidden = _error("AccessForbidden", 403, "CORSResponse: This CORS request is not allowed.")
MaxMessageLengthExceeded = _error("MaxMessageLengthExceeded", 400, "Your request was too big.")
InvalidTag = _error("InvalidTag", 400, "The tag provided was not a valid tag.")
# "Nothing is configured" answers for the bucket sub-resources this gateway never configures.
NoSuchBucketPolicy = _error("NoSuchBucketPolicy", 404, "The bucket policy does not exist")
NoSuchCORSConfiguration = _error("NoSuchCORSConfiguration", 404, "The CORS configuration does not exist")
NoSuchLifecycleConfiguration = _error("NoSuchLifecycleConfiguration", 404, "The lifecycle configuration does not exist")
NoSuchTagSet = _error("NoSuchTagSet", 404, "The TagSet does not exist")
NoSuchWebsiteConfiguration = _error("NoSuchWebsiteConfiguration", 404,
    "The specified bucket does not have a website configuration")
ServerSideEncryptionConfigurationNotFoundError = _error("ServerSideEncryptionConfigurationNotFoundError", 404,
    "The server side encryption configuration was not found")
OwnershipControlsNotFoundError = _error("OwnershipControlsNotFoundError", 404,
    "The bucket ownership controls were not found")
NoSuchPublicAccessBlockConfiguration = _error("NoSuchPublicAccessBlockConfiguration", 404,
    "The public access block configuration was not found")
ReplicationConfigurationNotFoundError = _error("ReplicationConfigurationNotFoundError", 404,
    "The replication configuration was not found")
ObjectLockConfigurationNotFoundError = _error("ObjectLockConfigurationNotFoundError", 404,
    "Object Lock configuration does not exist for this bucket")
# fmt: on


def request_expired() -> S3Error:
    """A presigned URL used after X-Amz-Date + X-Amz-Expires (AWS answers AccessDenied)."""
    return AccessDenied("Request has expired")


def delete_marker_error(exc: be.DeleteMarker) -> S3Error:
    """The latest version is a delete marker: 404 NoSuchKey; a marker asked for by its version id:
    405 MethodNotAllowed (only DELETE applies to it). Both say so in x-amz-delete-marker."""
    headers = {"x-amz-delete-marker": "true"}
    if exc.version_id:
        headers["x-amz-version-id"] = exc.version_id
    if not exc.by_version:
        return NoSuchKey(headers=headers)
    headers["last-modified"] = email.utils.formatdate(int(exc.last_modified), usegmt=True)
    headers["allow"] = "DELETE"
    return MethodNotAllowed(headers=headers)


def from_backend(exc: be.BackendError) -> S3Error:
    """The one mapping from backend domain exceptions to S3 errors."""
    if isinstance(exc, be.BucketAlreadyExists):
        return BucketAlreadyOwnedByYou() if exc.owned_by_you else BucketAlreadyExists()
    if isinstance(exc, be.DeleteMarker):
        return delete_marker_error(exc)
    for cls, error in _BACKEND_ERRORS:
        if isinstance(exc, cls):
            return error()
    return InternalError()


_BACKEND_ERRORS: tuple[tuple[type[be.BackendError], type[S3Error]], ...] = (
    (be.BucketNotFound, NoSuchBucket),
    (be.ObjectNotFound, NoSuchKey),
    (be.NoSuchVersion, NoSuchVersion),
    (be.BucketNotEmpty, BucketNotEmpty),
    (be.DigestMismatch, BadDigest),
    (be.IncompleteBody, IncompleteBody),
    (be.PreconditionFailed, PreconditionFailed),
    (be.ServiceUnavailable, ServiceUnavailable),
    (be.InsufficientStorage, InsufficientStorage),
    (be.NoSuchUpload, NoSuchUpload),
    (be.InvalidPart, InvalidPart),
    (be.EntityTooSmall, EntityTooSmall),
    (be.EntityTooLarge, EntityTooLarge),
)
