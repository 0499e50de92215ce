"""The IAM action (``s3:GetObject``...) of every S3 operation, and the ARN of what it acts on.

Policies name actions, not operations: several operations share one action (HeadObject and
GetObject are both ``s3:GetObject``; every multipart write is ``s3:PutObject``). Reads of
sub-resources the gateway answers with "nothing configured" map to AWS's ``s3:Get...`` names.
"""

from __future__ import annotations

from objectio.gateway.request import S3Op, S3Request

ARN_PREFIX = "arn:aws:s3:::"

ACTIONS: dict[S3Op, str] = {
    S3Op.LIST_BUCKETS: "s3:ListAllMyBuckets",
    S3Op.CREATE_BUCKET: "s3:CreateBucket",
    S3Op.DELETE_BUCKET: "s3:DeleteBucket",
    S3Op.HEAD_BUCKET: "s3:ListBucket",
    S3Op.GET_BUCKET_LOCATION: "s3:GetBucketLocation",
    S3Op.LIST_OBJECTS: "s3:ListBucket",
    S3Op.LIST_OBJECTS_V2: "s3:ListBucket",
    S3Op.DELETE_OBJECTS: "s3:DeleteObject",  # decided per key
    S3Op.PUT_OBJECT: "s3:PutObject",
    S3Op.COPY_OBJECT: "s3:PutObject",  # and s3:GetObject on the source
    S3Op.CREATE_MULTIPART_UPLOAD: "s3:PutObject",
    S3Op.UPLOAD_PART: "s3:PutObject",
    S3Op.UPLOAD_PART_COPY: "s3:PutObject",  # and s3:GetObject on the source
    S3Op.COMPLETE_MULTIPART_UPLOAD: "s3:PutObject",
    S3Op.ABORT_MULTIPART_UPLOAD: "s3:AbortMultipartUpload",
    S3Op.LIST_PARTS: "s3:ListMultipartUploadParts",
    S3Op.LIST_MULTIPART_UPLOADS: "s3:ListBucketMultipartUploads",
    S3Op.LIST_OBJECT_VERSIONS: "s3:ListBucketVersions",
    S3Op.GET_SUBRESOURCE: "",  # by sub-resource: SUBRESOURCE_ACTIONS
    S3Op.GET_OBJECT: "s3:GetObject",
    S3Op.HEAD_OBJECT: "s3:GetObject",
    S3Op.DELETE_OBJECT: "s3:DeleteObject",
    S3Op.UNSUPPORTED: "",  # answered NotImplemented for everyone who may use the bucket
    S3Op.GET_BUCKET_POLICY: "s3:GetBucketPolicy",
    S3Op.PUT_BUCKET_POLICY: "s3:PutBucketPolicy",
    S3Op.DELETE_BUCKET_POLICY: "s3:DeleteBucketPolicy",
    S3Op.GET_BUCKET_POLICY_STATUS: "s3:GetBucketPolicyStatus",
    S3Op.GET_BUCKET_ACL: "s3:GetBucketAcl",
    S3Op.PUT_BUCKET_ACL: "s3:PutBucketAcl",
    S3Op.GET_OBJECT_ACL: "s3:GetObjectAcl",
    S3Op.PUT_OBJECT_ACL: "s3:PutObjectAcl",
    S3Op.GET_PUBLIC_ACCESS_BLOCK: "s3:GetBucketPublicAccessBlock",
    S3Op.PUT_PUBLIC_ACCESS_BLOCK: "s3:PutBucketPublicAccessBlock",
    S3Op.DELETE_PUBLIC_ACCESS_BLOCK: "s3:PutBucketPublicAccessBlock",
    S3Op.GET_BUCKET_OWNERSHIP_CONTROLS: "s3:GetBucketOwnershipControls",
    S3Op.PUT_BUCKET_OWNERSHIP_CONTROLS: "s3:PutBucketOwnershipControls",
    S3Op.DELETE_BUCKET_OWNERSHIP_CONTROLS: "s3:PutBucketOwnershipControls",
    S3Op.GET_BUCKET_VERSIONING: "s3:GetBucketVersioning",
    S3Op.PUT_BUCKET_VERSIONING: "s3:PutBucketVersioning",
    S3Op.GET_OBJECT_TAGGING: "s3:GetObjectTagging",
    S3Op.PUT_OBJECT_TAGGING: "s3:PutObjectTagging",
    S3Op.DELETE_OBJECT_TAGGING: "s3:DeleteObjectTagging",
    S3Op.GET_OBJECT_ATTRIBUTES: "s3:GetObjectAttributes",
    S3Op.GET_BUCKET_CORS: "s3:GetBucketCORS",
    S3Op.PUT_BUCKET_CORS: "s3:PutBucketCORS",
    S3Op.DELETE_BUCKET_CORS: "s3:PutBucketCORS",  # as AWS: no separate delete action
    S3Op.CORS_PREFLIGHT: "",  # never signed, never authorized: the bucket's CORS rules decide
    S3Op.GET_BUCKET_TAGGING: "s3:GetBucketTagging",
    S3Op.PUT_BUCKET_TAGGING: "s3:PutBucketTagging",
    S3Op.DELETE_BUCKET_TAGGING: "s3:PutBucketTagging",  # as AWS
}
# The same operations on a named version (``?versionId=``) are these actions instead.
VERSION_ACTIONS: dict[str, str] = {
    "s3:GetObject": "s3:GetObjectVersion",
    "s3:DeleteObject": "s3:DeleteObjectVersion",
    "s3:GetObjectTagging": "s3:GetObjectVersionTagging",
    "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
    "s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
    "s3:GetObjectAttributes": "s3:GetObjectVersionAttributes",
    "s3:GetObjectAcl": "s3:GetObjectVersionAcl",
    "s3:PutObjectAcl": "s3:PutObjectVersionAcl",
}

# GET of a sub-resource (bucket level; object level for acl and tagging).
SUBRESOURCE_ACTIONS: dict[str, str] = {
    "accelerate": "s3:GetAccelerateConfiguration",
    "cors": "s3:GetBucketCORS",
    "encryption": "s3:GetEncryptionConfiguration",
    "lifecycle": "s3:GetLifecycleConfiguration",
    "logging": "s3:GetBucketLogging",
    "notification": "s3:GetBucketNotification",
    "object-lock": "s3:GetBucketObjectLockConfiguration",
    "replication": "s3:GetReplicationConfiguration",
    "requestPayment": "s3:GetBucketRequestPayment",
    "tagging": "s3:GetBucketTagging",
    "versioning": "s3:GetBucketVersioning",
    "website": "s3:GetBucketWebsite",
}
OBJECT_SUBRESOURCE_ACTIONS: dict[str, str] = {}  # object acl and tagging are operations of their own

# Actions on objects (resource ``bucket/key``); every other action is on the bucket.
OBJECT_ACTIONS = frozenset(
    """s3:GetObject s3:GetObjectVersion s3:PutObject s3:DeleteObject s3:DeleteObjectVersion
    s3:AbortMultipartUpload s3:ListMultipartUploadParts s3:GetObjectAcl s3:PutObjectAcl
    s3:GetObjectVersionAcl s3:PutObjectVersionAcl s3:GetObjectTagging s3:PutObjectTagging
    s3:DeleteObjectTagging s3:GetObjectAttributes s3:GetObjectVersionAttributes s3:RestoreObject
    s3:GetObjectRetention s3:PutObjectRetention s3:GetObjectLegalHold s3:PutObjectLegalHold
    s3:GetObjectVersionTagging s3:PutObjectVersionTagging s3:DeleteObjectVersionTagging
    s3:BypassGovernanceRetention""".split()  # noqa: SIM905
)
BUCKET_ACTIONS = frozenset(
    """s3:ListAllMyBuckets s3:CreateBucket s3:DeleteBucket s3:ListBucket s3:ListBucketVersions
    s3:ListBucketMultipartUploads s3:GetBucketLocation s3:GetBucketPolicy s3:PutBucketPolicy
    s3:DeleteBucketPolicy s3:GetBucketPolicyStatus s3:GetBucketAcl s3:PutBucketAcl
    s3:GetBucketPublicAccessBlock s3:PutBucketPublicAccessBlock s3:GetBucketOwnershipControls
    s3:PutBucketOwnershipControls s3:GetBucketVersioning s3:PutBucketVersioning s3:GetBucketTagging
    s3:PutBucketTagging s3:GetBucketCORS s3:PutBucketCORS s3:GetLifecycleConfiguration
    s3:PutLifecycleConfiguration s3:GetEncryptionConfiguration s3:PutEncryptionConfiguration
    s3:GetBucketLogging s3:PutBucketLogging s3:GetBucketNotification s3:PutBucketNotification
    s3:GetBucketObjectLockConfiguration s3:PutBucketObjectLockConfiguration
    s3:GetReplicationConfiguration s3:PutReplicationConfiguration s3:GetBucketRequestPayment
    s3:PutBucketRequestPayment s3:GetBucketWebsite s3:PutBucketWebsite s3:DeleteBucketWebsite
    s3:GetAccelerateConfiguration s3:PutAccelerateConfiguration""".split()  # noqa: SIM905
)
KNOWN_ACTIONS = OBJECT_ACTIONS | BUCKET_ACTIONS
KNOWN_ACTIONS_LOWER = frozenset(a.lower() for a in KNOWN_ACTIONS)
# Policy management stays with the bucket owner whatever the policy says (no lock-out).
OWNER_ALWAYS_ACTIONS = frozenset({"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"})


def action_of(req: S3Request) -> str:
    """The IAM action of ``req`` ('' when the operation has none: Unsupported)."""
    action = ACTIONS.get(req.op, "")
    if req.op is S3Op.GET_SUBRESOURCE:
        table = OBJECT_SUBRESOURCE_ACTIONS if req.key else SUBRESOURCE_ACTIONS
        action = table.get(req.unsupported, "")
    if "versionId" in req.query:
        action = VERSION_ACTIONS.get(action, action)
    return action


def resource_arn(bucket: str, key: str = "") -> str:
    return f"{ARN_PREFIX}{bucket}/{key}" if key else f"{ARN_PREFIX}{bucket}"
