"""Reading bucket sub-resources this gateway never configures, answered truthfully: there is no
lifecycle, website... Writing them is NotImplemented (``request.UNSUPPORTED_SUBRESOURCES``).
Real operations live elsewhere: ACLs, policies, public access block and ownership controls
(``handlers.acl``, ``handlers.policy``, ``handlers.public_access``), versioning and object tags
(``handlers.versioning``, ``handlers.tagging``), CORS and bucket tags (``handlers.cors``,
``handlers.bucket_tagging``)."""

from __future__ import annotations

from objectio.gateway import errors
from objectio.gateway.context import Context
from objectio.gateway.http import XML_NS, Response, xml_response

NOT_CONFIGURED: dict[str, type[errors.S3Error]] = {
    "lifecycle": errors.NoSuchLifecycleConfiguration,
    "website": errors.NoSuchWebsiteConfiguration,
    "encryption": errors.ServerSideEncryptionConfigurationNotFoundError,
    "replication": errors.ReplicationConfigurationNotFoundError,
    "object-lock": errors.ObjectLockConfigurationNotFoundError,
}
EMPTY_CONFIGURATION = {
    "logging": "BucketLoggingStatus",
    "notification": "NotificationConfiguration",
    "accelerate": "AccelerateConfiguration",
}


async def get_subresource(ctx: Context) -> Response:
    assert not ctx.req.key, "object sub-resources (acl, tagging) have their own operations"
    await ctx.authorize_bucket()
    name = ctx.req.unsupported
    if name == "requestPayment":
        return xml_response(f'<RequestPaymentConfiguration xmlns="{XML_NS}"><Payer>BucketOwner</Payer>'
                            "</RequestPaymentConfiguration>")  # fmt: skip
    if name in EMPTY_CONFIGURATION:
        return xml_response(f'<{EMPTY_CONFIGURATION[name]} xmlns="{XML_NS}"/>')
    raise NOT_CONFIGURED[name](fields={"BucketName": ctx.req.bucket})
