"""Reading sub-resources this gateway never configures, answered truthfully: versioning was never
enabled, there is no lifecycle, website... Writing them is NotImplemented
(``request.UNSUPPORTED_SUBRESOURCES``). ACLs, policies, public access block and ownership controls
are real operations (``handlers.acl``, ``handlers.policy``, ``handlers.public_access``). Also ListObjectVersions of an
unversioned bucket: every object is its own only version, "null"."""

from __future__ import annotations

from objectio.gateway import errors
from objectio.gateway.context import Context
from objectio.gateway.handlers.bucket import owner_xml
from objectio.gateway.handlers.list import bucket_owner, common_prefixes_xml, enc, list_params, run_list
from objectio.gateway.http import XML_NS, Response, iso8601, quote_etag, xml_response
from objectio.gateway.xmlio import el

NOT_CONFIGURED: dict[str, type[errors.S3Error]] = {
    "lifecycle": errors.NoSuchLifecycleConfiguration,
    "website": errors.NoSuchWebsiteConfiguration,
    "encryption": errors.ServerSideEncryptionConfigurationNotFoundError,
    "replication": errors.ReplicationConfigurationNotFoundError,
    "object-lock": errors.ObjectLockConfigurationNotFoundError,
}
EMPTY_CONFIGURATION = {
    "versioning": "VersioningConfiguration",
    "logging": "BucketLoggingStatus",
    "notification": "NotificationConfiguration",
    "accelerate": "AccelerateConfiguration",
}


async def get_subresource(ctx: Context) -> Response:
    await ctx.authorize_bucket()
    name = ctx.req.unsupported
    if ctx.req.key:  # tagging of an object
        await ctx.backend.head_object(ctx.req.bucket, ctx.req.key)
        return xml_response(f'<Tagging xmlns="{XML_NS}"><TagSet></TagSet></Tagging>')
    if name == "requestPayment":
        return xml_response(f'<RequestPaymentConfiguration xmlns="{XML_NS}"><Payer>BucketOwner</Payer>'
                            "</RequestPaymentConfiguration>")  # fmt: skip
    if name in EMPTY_CONFIGURATION:
        return xml_response(f'<{EMPTY_CONFIGURATION[name]} xmlns="{XML_NS}"/>')
    raise NOT_CONFIGURED[name](fields={"BucketName": ctx.req.bucket})


async def list_object_versions(ctx: Context) -> Response:
    query = ctx.req.query
    params = list_params(query, ctx.config.list_keys_max)
    key_marker = query.get("key-marker", "")
    version_marker = query.get("version-id-marker")
    if version_marker not in (None, "", "null"):
        raise errors.InvalidArgument("Invalid version id specified", fields={"ArgumentName": "version-id-marker"})
    result = await run_list(ctx, params, key_marker)  # authorizes: the caller owns the bucket
    versions = "".join(
        f"<Version>{el('Key', enc(o.key, params))}<VersionId>null</VersionId><IsLatest>true</IsLatest>"
        f"{el('LastModified', iso8601(o.last_modified))}{el('ETag', quote_etag(o.etag))}{el('Size', o.size)}"
        f"{owner_xml(bucket_owner(ctx))}<StorageClass>STANDARD</StorageClass></Version>"
        for o in result.objects
    )
    next_marker = result.next_marker if result.is_truncated else None
    return xml_response(
        f'<ListVersionsResult xmlns="{XML_NS}">{el("Name", ctx.req.bucket)}{el("Prefix", enc(params.prefix, params))}'
        f"{el('KeyMarker', enc(key_marker, params))}{el('VersionIdMarker', version_marker or '')}"
        f"{el('NextKeyMarker', enc(next_marker, params) if next_marker else None)}"
        f"{el('NextVersionIdMarker', 'null' if next_marker else None)}{el('MaxKeys', params.max_keys)}"
        f"{el('Delimiter', enc(params.delimiter, params) if params.delimiter else None)}"
        f"{el('EncodingType', 'url' if params.url_encode else None)}"
        f"{el('IsTruncated', result.is_truncated)}{versions}{common_prefixes_xml(result, params)}</ListVersionsResult>"
    )
