"""Pure CORS logic: parsing and validating CORSConfiguration, the stored form, rule matching."""

from __future__ import annotations

import pytest

from objectio.gateway import cors, errors


def config(*rules: str) -> bytes:
    body = "".join(f"<CORSRule>{rule}</CORSRule>" for rule in rules)
    return f'<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{body}</CORSConfiguration>'.encode()


FULL_RULE = (
    "<ID>web</ID><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedOrigin>http://a.test</AllowedOrigin>"
    "<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader>"
    "<AllowedHeader>Content-Type</AllowedHeader><ExposeHeader>ETag</ExposeHeader>"
    "<ExposeHeader>x-amz-request-id</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds>"
)


def test_parse_round_trips_through_storage_and_xml() -> None:
    rules = cors.parse_configuration(
        config(FULL_RULE, "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>HEAD</AllowedMethod>")
    )
    assert len(rules) == 2
    first = rules[0]
    assert first.id == "web"
    assert first.allowed_origins == ("https://*.example.com", "http://a.test")
    assert first.allowed_methods == ("GET", "PUT")
    assert first.allowed_headers == ("x-amz-*", "Content-Type")
    assert first.expose_headers == ("ETag", "x-amz-request-id")
    assert first.max_age_seconds == 3000
    assert rules[1].max_age_seconds is None and rules[1].id is None
    assert cors.decode(cors.encode(rules)) == rules
    assert cors.parse_configuration(cors.render(rules).encode()) == rules


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"<CORSConfiguration>", errors.MalformedXML),
        (b"<Other/>", errors.MalformedXML),
        (config(), errors.MalformedXML),
        (config("<AllowedMethod>GET</AllowedMethod>"), errors.MalformedXML),
        (config("<AllowedOrigin>*</AllowedOrigin>"), errors.MalformedXML),
        (config("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><Bogus/>"), errors.MalformedXML),
        (config("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>"), errors.InvalidRequest),
        (config("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>"), errors.InvalidRequest),
        (config("<AllowedOrigin>http://*.*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
         errors.InvalidRequest),
        (config("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>**</AllowedHeader>"),
         errors.InvalidRequest),
        (config("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>a b</ExposeHeader>"),
         errors.InvalidRequest),
        (config("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds>"),
         errors.MalformedXML),
        (config("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ID>1</ID><ID>2</ID>"),
         errors.MalformedXML),
        (config(f"<ID>{'i' * 256}</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
         errors.InvalidArgument),
        (config(*["<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"] * 101), errors.MalformedXML),
        (config("<AllowedOrigin>" + "o" * 70_000 + "</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
         errors.MaxMessageLengthExceeded),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><CORSConfiguration/>', errors.MalformedXML),
    ],
)  # fmt: skip
def test_invalid_configurations(body: bytes, error: type[errors.S3Error]) -> None:
    with pytest.raises(error):
        cors.parse_configuration(body)


def test_one_hundred_rules_are_allowed() -> None:
    rules = cors.parse_configuration(
        config(*["<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"] * 100)
    )
    assert len(rules) == cors.RULES_MAX


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("*", "http://anything", True),
        ("http://a.test", "http://a.test", True),
        ("http://a.test", "http://a.test:8080", False),
        ("https://*.example.com", "https://www.example.com", True),
        ("https://*.example.com", "https://.example.com", True),
        ("https://*.example.com", "http://www.example.com", False),
        ("https://*.example.com", "https://example.com", False),
        ("x-amz-*", "x-amz-date", True),
        ("*-id", "request-id", True),
        ("ab*ba", "aba", False),
    ],
)
def test_wildcard_match(pattern: str, value: str, matches: bool) -> None:
    assert cors.wildcard_match(pattern, value) is matches


def test_find_rule_takes_the_first_rule_that_allows_everything_asked() -> None:
    rules = cors.parse_configuration(
        config(
            FULL_RULE,
            "<ID>any</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
            "<ID>all-headers</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>DELETE</AllowedMethod>"
            "<AllowedHeader>*</AllowedHeader>",
        )
    )
    find = cors.find_rule
    assert find(rules, "https://www.example.com", "PUT", ["x-amz-date", "content-type"]) is rules[0]
    assert find(rules, "https://www.example.com", "PUT", ["authorization"]) is None  # not an allowed header
    assert find(rules, "https://www.example.com", "GET", ["authorization"]) is None
    assert find(rules, "https://www.example.com", "GET") is rules[0]
    assert find(rules, "http://other.test", "GET") is rules[1]
    assert find(rules, "http://other.test", "PUT") is None
    assert find(rules, "http://other.test", "DELETE", ["whatever", "x-y"]) is rules[2]
    assert find(rules, "http://other.test", "POST") is None
    assert cors.request_headers(" X-Amz-Date ,Content-Type,, ") == ["x-amz-date", "content-type"]


def test_response_headers() -> None:
    rules = cors.parse_configuration(
        config(FULL_RULE, "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>")
    )
    specific = dict(cors.response_headers(rules[0], "http://a.test", preflight_headers=["x-amz-date"]))
    assert specific == {
        "access-control-allow-origin": "http://a.test",
        "access-control-allow-methods": "GET, PUT",
        "access-control-allow-credentials": "true",
        "access-control-allow-headers": "x-amz-date",
        "access-control-expose-headers": "ETag, x-amz-request-id",
        "access-control-max-age": "3000",
        "vary": cors.VARY,
    }
    anyone = dict(cors.response_headers(rules[1], "http://b.test"))
    assert anyone == {"access-control-allow-origin": "*", "access-control-allow-methods": "GET", "vary": cors.VARY}


def test_stored_document_with_unknown_version_is_refused() -> None:
    with pytest.raises(ValueError, match="format version"):
        cors.decode(b'{"version": 99, "rules": []}')
