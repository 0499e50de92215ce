"""The one table from S3 operation to handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from objectio.gateway import errors
from objectio.gateway.context import Context
from objectio.gateway.handlers import (
    acl,
    attributes,
    bucket,
    bucket_tagging,
    copy,
    cors,
    delete,
    get,
    list,
    multipart,
    policy,
    public_access,
    put,
    subresource,
    tagging,
    versioning,
)
from objectio.gateway.http import Response
from objectio.gateway.request import S3Op

Handler = Callable[[Context], Awaitable[Response]]


async def unsupported(ctx: Context) -> Response:
    raise errors.NotImplemented(f"{ctx.req.unsupported} is not implemented by this gateway.")


HANDLERS: dict[S3Op, Handler] = {
    S3Op.LIST_BUCKETS: bucket.list_buckets,
    S3Op.CREATE_BUCKET: bucket.create_bucket,
    S3Op.DELETE_BUCKET: bucket.delete_bucket,
    S3Op.HEAD_BUCKET: bucket.head_bucket,
    S3Op.GET_BUCKET_LOCATION: bucket.get_bucket_location,
    S3Op.LIST_OBJECTS: list.list_objects,
    S3Op.LIST_OBJECTS_V2: list.list_objects_v2,
    S3Op.DELETE_OBJECTS: delete.delete_objects,
    S3Op.PUT_OBJECT: put.put_object,
    S3Op.COPY_OBJECT: copy.copy_object,
    S3Op.CREATE_MULTIPART_UPLOAD: multipart.create_multipart_upload,
    S3Op.UPLOAD_PART: multipart.upload_part,
    S3Op.UPLOAD_PART_COPY: multipart.upload_part_copy,
    S3Op.COMPLETE_MULTIPART_UPLOAD: multipart.complete_multipart_upload,
    S3Op.ABORT_MULTIPART_UPLOAD: multipart.abort_multipart_upload,
    S3Op.LIST_PARTS: multipart.list_parts,
    S3Op.LIST_MULTIPART_UPLOADS: multipart.list_multipart_uploads,
    S3Op.GET_OBJECT: get.get_object,
    S3Op.HEAD_OBJECT: get.head_object,
    S3Op.DELETE_OBJECT: delete.delete_object,
    S3Op.LIST_OBJECT_VERSIONS: versioning.list_object_versions,
    S3Op.GET_BUCKET_VERSIONING: versioning.get_bucket_versioning,
    S3Op.PUT_BUCKET_VERSIONING: versioning.put_bucket_versioning,
    S3Op.GET_OBJECT_TAGGING: tagging.get_object_tagging,
    S3Op.PUT_OBJECT_TAGGING: tagging.put_object_tagging,
    S3Op.DELETE_OBJECT_TAGGING: tagging.delete_object_tagging,
    S3Op.GET_OBJECT_ATTRIBUTES: attributes.get_object_attributes,
    S3Op.PUT_BUCKET_CORS: cors.put_bucket_cors,
    S3Op.GET_BUCKET_CORS: cors.get_bucket_cors,
    S3Op.DELETE_BUCKET_CORS: cors.delete_bucket_cors,
    S3Op.CORS_PREFLIGHT: cors.preflight,
    S3Op.PUT_BUCKET_TAGGING: bucket_tagging.put_bucket_tagging,
    S3Op.GET_BUCKET_TAGGING: bucket_tagging.get_bucket_tagging,
    S3Op.DELETE_BUCKET_TAGGING: bucket_tagging.delete_bucket_tagging,
    S3Op.GET_SUBRESOURCE: subresource.get_subresource,
    S3Op.UNSUPPORTED: unsupported,
    # Access control.
    S3Op.GET_BUCKET_POLICY: policy.get_bucket_policy,
    S3Op.PUT_BUCKET_POLICY: policy.put_bucket_policy,
    S3Op.DELETE_BUCKET_POLICY: policy.delete_bucket_policy,
    S3Op.GET_BUCKET_POLICY_STATUS: policy.get_bucket_policy_status,
    S3Op.GET_BUCKET_ACL: acl.get_bucket_acl,
    S3Op.PUT_BUCKET_ACL: acl.put_bucket_acl,
    S3Op.GET_OBJECT_ACL: acl.get_object_acl,
    S3Op.PUT_OBJECT_ACL: acl.put_object_acl,
    S3Op.GET_PUBLIC_ACCESS_BLOCK: public_access.get_public_access_block,
    S3Op.PUT_PUBLIC_ACCESS_BLOCK: public_access.put_public_access_block,
    S3Op.DELETE_PUBLIC_ACCESS_BLOCK: public_access.delete_public_access_block,
    S3Op.GET_BUCKET_OWNERSHIP_CONTROLS: public_access.get_bucket_ownership_controls,
    S3Op.PUT_BUCKET_OWNERSHIP_CONTROLS: public_access.put_bucket_ownership_controls,
    S3Op.DELETE_BUCKET_OWNERSHIP_CONTROLS: public_access.delete_bucket_ownership_controls,
}

if set(HANDLERS) != set(S3Op):  # the table is checked once, at import
    raise RuntimeError(f"S3 operations without a handler: {set(S3Op) - set(HANDLERS)}")
