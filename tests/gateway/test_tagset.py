"""Pure tag-set logic: Tagging XML validation as AWS does it, stored form, rendering."""

from __future__ import annotations

import pytest

from objectio.gateway import errors, tagset


def tagging(*tags: tuple[str, str]) -> bytes:
    entries = "".join(f"<Tag><Key>{k}</Key><Value>{v}</Value></Tag>" for k, v in tags)
    return f'<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>{entries}</TagSet></Tagging>'.encode()


def test_parse_keeps_order_and_round_trips() -> None:
    tags = tagset.parse_tagging(tagging(("b", "2"), ("a", ""), ("Ünï cødé +-=._:/@", "v a l")), 50)
    assert list(tags.items()) == [("b", "2"), ("a", ""), ("Ünï cødé +-=._:/@", "v a l")]
    assert tagset.decode(tagset.encode(tags)) == tags
    assert tagset.parse_tagging(tagset.render(tags).encode(), 50) == tags
    assert tagset.parse_tagging(tagging(), 50) == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (tagging(*[(f"k{i}", "v") for i in range(51)]), "greater than 50"),
        (tagging(("k" * 129, "v")), "TagKey"),
        (tagging(("", "v")), "TagKey"),
        (tagging(("k", "v" * 257)), "too long"),
        (tagging(("k", "v"), ("k", "w")), "same key"),
        (tagging(("aws:owner", "v")), "System tags"),
        (tagging(("a*b", "v")), "TagKey"),
        (tagging(("k", "v;")), "TagValue"),
    ],
)
def test_invalid_tags(body: bytes, message: str) -> None:
    with pytest.raises(errors.InvalidTag, match=message):
        tagset.parse_tagging(body, 50)


def test_limits_are_inclusive() -> None:
    tags = tagset.parse_tagging(tagging(*[(f"k{i}", "v") for i in range(50)]), 50)
    assert len(tags) == 50
    assert tagset.parse_tagging(tagging(("k" * 128, "v" * 256)), 50) == {"k" * 128: "v" * 256}


@pytest.mark.parametrize(
    "body",
    [
        b"<Tagging>",
        b"<Tagging/>",
        b"<Tagging><TagSet/><TagSet/></Tagging>",
        b"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>",
        b"<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value><Other/></Tag></TagSet></Tagging>",
        b"<Tagging><TagSet><Item><Key>k</Key><Value>v</Value></Item></TagSet></Tagging>",
        b"<Tags><TagSet/></Tags>",
    ],
)
def test_malformed_documents(body: bytes) -> None:
    with pytest.raises(errors.MalformedXML):
        tagset.parse_tagging(body, 50)


def test_oversized_document() -> None:
    with pytest.raises(errors.MaxMessageLengthExceeded):
        tagset.parse_tagging(b"<Tagging>" + b" " * tagset.DOCUMENT_BYTES_MAX + b"</Tagging>", 50)
