"""CreateBucket, DeleteBucket, HeadBucket, ListBuckets, GetBucketLocation."""

from __future__ import annotations

from objectio.gateway import errors
from objectio.gateway.access.writes import new_bucket_settings
from objectio.gateway.context import Context
from objectio.gateway.http import XML_NS, Response, iso8601, xml_response
from objectio.gateway.xmlio import el, parse_xml, text_of

POOL_HEADER = "x-objectio-pool"


def _location_constraint(body: bytes) -> str | None:
    if not body.strip():
        return None
    root = parse_xml(body, "CreateBucketConfiguration")
    location: str | None = text_of(root, "LocationConstraint")
    return location


async def create_bucket(ctx: Context) -> Response:
    body = await ctx.body.read_all(ctx.config.xml_body_bytes_max)
    location = _location_constraint(body)
    region = ctx.config.region
    if location and location != region:
        raise errors.InvalidArgument(
            f"The location constraint '{location}' is incompatible with the region '{region}'.",
            fields={"ArgumentName": "LocationConstraint", "ArgumentValue": location},
        )
    pool = ctx.req.headers.get(POOL_HEADER) or None
    settings = new_bucket_settings(ctx.req.headers, ctx.identity.user, ctx.config.object_ownership_default)
    await ctx.backend.create_bucket(ctx.req.bucket, ctx.identity.user, pool, settings)
    return Response(200, [("location", f"/{ctx.req.bucket}")])


async def delete_bucket(ctx: Context) -> Response:
    await ctx.authorize_bucket()
    await ctx.backend.delete_bucket(ctx.req.bucket)
    return Response(204)


async def head_bucket(ctx: Context) -> Response:
    await ctx.authorize_bucket()
    return Response(200, [("x-amz-bucket-region", ctx.config.region)])


async def get_bucket_location(ctx: Context) -> Response:
    await ctx.authorize_bucket()
    region = "" if ctx.config.region == "us-east-1" else ctx.config.region
    return xml_response(f'<LocationConstraint xmlns="{XML_NS}">{region}</LocationConstraint>')


def owner_xml(user: str) -> str:
    return f"<Owner>{el('ID', user)}{el('DisplayName', user)}</Owner>"


async def list_buckets(ctx: Context) -> Response:
    buckets = await ctx.backend.list_buckets(ctx.identity.user)
    entries = "".join(
        f"<Bucket>{el('Name', b.name)}{el('CreationDate', iso8601(b.created))}</Bucket>"
        for b in sorted(buckets, key=lambda b: b.name)
    )
    return xml_response(
        f'<ListAllMyBucketsResult xmlns="{XML_NS}">{owner_xml(ctx.identity.user)}'
        f"<Buckets>{entries}</Buckets></ListAllMyBucketsResult>"
    )
