"""Versioning as S3 shows it: the bucket's versioning state, version id parameters, and the
``x-amz-version-id`` header. Pure protocol logic (no I/O).

The state is the bucket setting ``versioning`` (``objectio.meta.versions``): absent — never
versioned, and no version header is ever sent; ``Enabled``; ``Suspended``. The stored null
version has the id "" and is shown as "null".
"""

from __future__ import annotations

from objectio.gateway import errors
from objectio.gateway.backend import BucketInfo, ObjectInfo
from objectio.gateway.xmlio import parse_xml, text_of
from objectio.meta.versions import ENABLED, NULL_VERSION, SUSPENDED, VERSIONING_SETTING, is_version_id

VERSION_HEADER = "x-amz-version-id"
_STATES = {"Enabled": ENABLED, "Suspended": SUSPENDED}


def state(bucket: BucketInfo) -> bytes | None:
    """b"Enabled", b"Suspended", or None for a bucket that was never versioned."""
    return bucket.settings.get(VERSIONING_SETTING)


def parse_configuration(body: bytes) -> bytes:
    """The state a PutBucketVersioning body asks for. MFA delete cannot be enabled here."""
    root = parse_xml(body, "VersioningConfiguration")
    status = text_of(root, "Status")
    if status not in _STATES:
        raise errors.IllegalVersioningConfigurationException(
            "The Versioning element must be specified and be Enabled or Suspended."
        )
    if (text_of(root, "MfaDelete") or "Disabled") != "Disabled":
        raise errors.NotImplemented("MFA delete is not supported by this gateway.")
    return _STATES[status]


def version_param(query: dict[str, str], name: str = "versionId") -> str | None:
    """The version a request names (None: the latest); InvalidArgument for a malformed id."""
    value = query.get(name)
    if value is None:
        return None
    if not is_version_id(value):
        raise errors.InvalidArgument(
            "Invalid version id specified", fields={"ArgumentName": name, "ArgumentValue": value}
        )
    return value


def shown_id(version_id: str | None, bucket: BucketInfo | None, requested: str | None = None) -> str | None:
    """The ``x-amz-version-id`` value for a version (None: send no header): its id; "null" for the
    null version of a bucket that is or was versioned, or when the request named a version."""
    if version_id:
        return version_id
    if requested is not None or (bucket is not None and state(bucket) is not None):
        return NULL_VERSION
    return None


def version_headers(info: ObjectInfo, bucket: BucketInfo | None, requested: str | None = None) -> list[tuple[str, str]]:
    shown = shown_id(info.version_id, bucket, requested)
    return [] if shown is None else [(VERSION_HEADER, shown)]
