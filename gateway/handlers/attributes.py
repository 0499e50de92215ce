"""GetObjectAttributes: ETag, Checksum, ObjectParts, StorageClass and ObjectSize of the latest
version or of the one ``versionId`` names, without the body (one metadata read)."""

from __future__ import annotations

from objectio.gateway import checksums, errors, versioning
from objectio.gateway.backend import ObjectInfo
from objectio.gateway.context import Context
from objectio.gateway.handlers.multipart import PART_NUMBER_MAX
from objectio.gateway.http import XML_NS, Response, http_date, xml_response
from objectio.gateway.request import STORAGE_CLASS
from objectio.gateway.xmlio import el

ATTRIBUTES_HEADER = "x-amz-object-attributes"
ATTRIBUTES = ("ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize")
PARTS_LISTED_MAX = 1000  # x-amz-max-parts beyond this is capped (as ListParts)
# x-amz-checksum-<name> header -> element of <Checksum> / <Part>
CHECKSUM_ELEMENTS = {
    "crc32": "ChecksumCRC32",
    "crc32c": "ChecksumCRC32C",
    "crc64nvme": "ChecksumCRC64NVME",
    "sha1": "ChecksumSHA1",
    "sha256": "ChecksumSHA256",
}


def requested_attributes(headers: dict[str, str]) -> set[str]:
    names = {name.strip() for name in headers.get(ATTRIBUTES_HEADER, "").split(",") if name.strip()}
    if not names or not names <= set(ATTRIBUTES):
        raise errors.InvalidArgument(
            "Invalid attribute name specified.",
            fields={"ArgumentName": ATTRIBUTES_HEADER, "ArgumentValue": headers.get(ATTRIBUTES_HEADER, "")},
        )
    return names


def _int_header(headers: dict[str, str], name: str, default: int) -> int:
    text = headers.get(name, str(default)).strip()
    if not text.isdigit():
        raise errors.InvalidArgument(f"{name} must be a non-negative integer", fields={"ArgumentName": name})
    return int(text)


def checksum_xml(stored: dict[str, str]) -> str:
    return "".join(
        el(element, stored[checksums.HEADER_PREFIX + name])
        for name, element in CHECKSUM_ELEMENTS.items()
        if checksums.HEADER_PREFIX + name in stored
    )


def parts_xml(info: ObjectInfo, marker: int, max_parts: int) -> str:
    """The parts of a multipart object after ``marker``; AWS lists them only when they carry
    checksums, and always gives the count."""
    numbers = [n for n in range(marker + 1, len(info.part_sizes) + 1)][:max_parts]
    truncated = bool(numbers) and numbers[-1] < len(info.part_sizes)
    listed = ""
    if any(info.part_checksums):
        listed = "".join(
            f"<Part>{el('PartNumber', n)}{el('Size', info.part_sizes[n - 1])}{checksum_xml(info.part_checksums[n - 1])}"
            "</Part>"
            for n in numbers
        )
    return (
        f"<ObjectParts>{el('PartsCount', len(info.part_sizes))}{el('PartNumberMarker', marker)}"
        f"{el('NextPartNumberMarker', numbers[-1] if numbers else marker)}{el('MaxParts', max_parts)}"
        f"{el('IsTruncated', truncated)}{listed}</ObjectParts>"
    )


async def get_object_attributes(ctx: Context) -> Response:
    headers = ctx.req.headers
    wanted = requested_attributes(headers)
    marker = min(_int_header(headers, "x-amz-part-number-marker", 0), PART_NUMBER_MAX)
    max_parts = min(_int_header(headers, "x-amz-max-parts", PARTS_LISTED_MAX), PARTS_LISTED_MAX)
    bucket = await ctx.authorize_bucket()
    requested = versioning.version_param(ctx.req.query)
    info = await ctx.backend.head_object(ctx.req.bucket, ctx.req.key, requested)
    body = ""
    if "ETag" in wanted:
        body += el("ETag", info.etag)
    if "Checksum" in wanted and (found := checksum_xml(info.headers)):
        body += f"<Checksum>{found}</Checksum>"
    if "ObjectParts" in wanted and info.part_sizes:
        body += parts_xml(info, marker, max_parts)
    if "StorageClass" in wanted:
        body += el("StorageClass", STORAGE_CLASS)
    if "ObjectSize" in wanted:
        body += el("ObjectSize", info.size)
    response = xml_response(f'<GetObjectAttributesResponse xmlns="{XML_NS}">{body}</GetObjectAttributesResponse>')
    response.header("last-modified", http_date(info.last_modified))
    response.headers.extend(versioning.version_headers(info, bucket, requested))
    return response
