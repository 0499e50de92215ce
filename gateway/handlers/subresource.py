"""Reading sub-resources this gateway never configures, answered truthfully: ACLs are private
(owner FULL_CONTROL), there is no policy, CORS, lifecycle... Writing them is NotImplemented
(``request.UNSUPPORTED_SUBRESOURCES``). Versioning and object tags: handlers/versioning.py,
handlers/tagging.py."""

from __future__ import annotations

from objectio.gateway import errors
from objectio.gateway.context import Context
from objectio.gateway.handlers.bucket import owner_xml
from objectio.gateway.http import XML_NS, Response, xml_response
from objectio.gateway.xmlio import el

NOT_CONFIGURED: dict[str, type[errors.S3Error]] = {
    "policy": errors.NoSuchBucketPolicy,
    "cors": errors.NoSuchCORSConfiguration,
    "lifecycle": errors.NoSuchLifecycleConfiguration,
    "tagging": errors.NoSuchTagSet,
    "website": errors.NoSuchWebsiteConfiguration,
    "encryption": errors.ServerSideEncryptionConfigurationNotFoundError,
    "ownershipControls": errors.OwnershipControlsNotFoundError,
    "publicAccessBlock": errors.NoSuchPublicAccessBlockConfiguration,
    "replication": errors.ReplicationConfigurationNotFoundError,
    "object-lock": errors.ObjectLockConfigurationNotFoundError,
}
EMPTY_CONFIGURATION = {
    "logging": "BucketLoggingStatus",
    "notification": "NotificationConfiguration",
    "accelerate": "AccelerateConfiguration",
}


def private_acl(owner: str) -> str:
    grantee = (
        '<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">'
        f"{el('ID', owner)}{el('DisplayName', owner)}</Grantee>"
    )
    return (
        f'<AccessControlPolicy xmlns="{XML_NS}">{owner_xml(owner)}<AccessControlList>'
        f"<Grant>{grantee}<Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>"
    )


async def get_subresource(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()
    name = ctx.req.unsupported
    if ctx.req.key:  # the acl of an object
        await ctx.backend.head_object(ctx.req.bucket, ctx.req.key)
        return xml_response(private_acl(bucket.owner))
    if name == "acl":
        return xml_response(private_acl(bucket.owner))
    if name == "requestPayment":
        return xml_response(f'<RequestPaymentConfiguration xmlns="{XML_NS}"><Payer>BucketOwner</Payer>'
                            "</RequestPaymentConfiguration>")  # fmt: skip
    if name in EMPTY_CONFIGURATION:
        return xml_response(f'<{EMPTY_CONFIGURATION[name]} xmlns="{XML_NS}"/>')
    raise NOT_CONFIGURED[name](fields={"BucketName": ctx.req.bucket})
