"""The one table from S3 operation to handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from objectio.gateway import errors
from objectio.gateway.context import Context
from objectio.gateway.handlers import bucket, delete, get, list, put
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
    S3Op.GET_OBJECT: get.get_object,
    S3Op.HEAD_OBJECT: get.head_object,
    S3Op.DELETE_OBJECT: delete.delete_object,
    S3Op.UNSUPPORTED: unsupported,
}

if set(HANDLERS) != set(S3Op):  # the table is checked once, at import
    raise RuntimeError(f"S3 operations without a handler: {set(S3Op) - set(HANDLERS)}")
