"""Public access block and object ownership controls of a bucket: Put/Get/Delete
PublicAccessBlock and Put/Get/Delete BucketOwnershipControls (bucket settings
``public_access_block`` and ``ownership``; :mod:`objectio.gateway.access` enforces them)."""

from __future__ import annotations

from objectio.gateway import errors
from objectio.gateway.access.bucket_access import (
    BUCKET_OWNER_ENFORCED,
    OWNERSHIP,
    OWNERSHIP_VALUES,
    PAB_FIELDS,
    PUBLIC_ACCESS_BLOCK,
    PublicAccessBlock,
    access_of,
    decode_pab,
)
from objectio.gateway.context import Context
from objectio.gateway.http import XML_NS, Response, xml_response
from objectio.gateway.xmlio import el, parse_xml, text_of


def parse_public_access_block(body: bytes) -> PublicAccessBlock:
    root = parse_xml(body, "PublicAccessBlockConfiguration")
    values = []
    for name in PAB_FIELDS:
        text = (text_of(root, name) or "false").strip().lower()
        if text not in ("true", "false"):
            raise errors.MalformedXML()
        values.append(text == "true")
    return PublicAccessBlock(*values)


def public_access_block_xml(pab: PublicAccessBlock) -> str:
    fields = "".join(el(name, value) for name, value in zip(PAB_FIELDS, pab.as_tuple(), strict=True))
    return f'<PublicAccessBlockConfiguration xmlns="{XML_NS}">{fields}</PublicAccessBlockConfiguration>'


async def put_public_access_block(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()
    pab = parse_public_access_block(await ctx.body.read_all(ctx.config.xml_body_bytes_max))
    await ctx.backend.put_bucket_setting(bucket.name, PUBLIC_ACCESS_BLOCK, pab.encode())
    return Response(200)


async def get_public_access_block(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()
    stored = bucket.settings.get(PUBLIC_ACCESS_BLOCK)
    if stored is None:
        raise errors.NoSuchPublicAccessBlockConfiguration(fields={"BucketName": bucket.name})
    return xml_response(public_access_block_xml(decode_pab(stored)))


async def delete_public_access_block(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()
    await ctx.backend.put_bucket_setting(bucket.name, PUBLIC_ACCESS_BLOCK, None)
    return Response(204)


def parse_ownership_controls(body: bytes) -> str:
    root = parse_xml(body, "OwnershipControls")
    rules = root.findall("Rule")
    if len(rules) != 1:
        raise errors.MalformedXML()
    value = (text_of(rules[0], "ObjectOwnership") or "").strip()
    if value not in OWNERSHIP_VALUES:
        raise errors.MalformedXML()
    return value


async def put_bucket_ownership_controls(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()
    ownership = parse_ownership_controls(await ctx.body.read_all(ctx.config.xml_body_bytes_max))
    if ownership == BUCKET_OWNER_ENFORCED and not access_of(bucket).acl.is_owner_only(bucket.owner):
        raise errors.InvalidBucketAclWithObjectOwnership()  # AWS: migrate the grants off the ACL first
    await ctx.backend.put_bucket_setting(bucket.name, OWNERSHIP, ownership.encode())
    return Response(200)


async def get_bucket_ownership_controls(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()
    stored = bucket.settings.get(OWNERSHIP)
    if stored is None:
        raise errors.OwnershipControlsNotFoundError(fields={"BucketName": bucket.name})
    rule = f"<Rule>{el('ObjectOwnership', stored.decode())}</Rule>"
    return xml_response(f'<OwnershipControls xmlns="{XML_NS}">{rule}</OwnershipControls>')


async def delete_bucket_ownership_controls(ctx: Context) -> Response:
    bucket = await ctx.authorize_bucket()
    await ctx.backend.put_bucket_setting(bucket.name, OWNERSHIP, None)
    return Response(204)
