"""Bucket policy parsing (MalformedPolicy messages), conditions and evaluation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from objectio.gateway import errors
from objectio.gateway.access import conditions, policy
from objectio.gateway.access.actions import ACTIONS, KNOWN_ACTIONS, action_of
from objectio.gateway.access.policy import Answer
from objectio.gateway.request import S3Op, S3Request

BUCKET = "photos"


def doc(*statements: dict[str, Any], version: str = "2012-10-17") -> bytes:
    return json.dumps({"Version": version, "Statement": list(statements)}).encode()


def allow(principal: Any, action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource, **extra}


def test_every_operation_has_an_action_entry() -> None:
    assert set(ACTIONS) == set(S3Op)
    named = {a for a in ACTIONS.values() if a}
    assert named <= KNOWN_ACTIONS


def test_subresource_reads_map_to_aws_action_names() -> None:
    def req(op: S3Op, key: str = "", sub: str = "", query: dict[str, str] | None = None) -> S3Request:
        return S3Request(op, "GET", BUCKET, key, query or {}, {}, "/", "", sub)

    assert action_of(req(S3Op.GET_SUBRESOURCE, sub="cors")) == "s3:GetBucketCORS"
    assert action_of(req(S3Op.GET_OBJECT_TAGGING, key="k")) == "s3:GetObjectTagging"
    assert action_of(req(S3Op.GET_OBJECT, key="k", query={"versionId": "null"})) == "s3:GetObjectVersion"
    assert action_of(req(S3Op.DELETE_OBJECT, key="k", query={"versionId": "x"})) == "s3:DeleteObjectVersion"
    assert action_of(req(S3Op.HEAD_OBJECT, key="k")) == "s3:GetObject"
    assert action_of(req(S3Op.LIST_MULTIPART_UPLOADS)) == "s3:ListBucketMultipartUploads"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"", "first byte must be '{'"),
        (b"[1]", "first byte must be '{'"),
        (b"{not json", "invalid Json"),
        (b'{"Version": "2012-10-17"}', "Missing required field Statement"),
        (doc({"Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/*"}), "Effect"),
        (doc(allow("*", "s3:GetObject", "arn:aws:s3:::photos/*", Effect="Maybe")), "Invalid effect: Maybe"),
        (doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/*"}), "Principal"),
        (doc(allow("*", "s3:Fly", "arn:aws:s3:::photos/*")), "Policy has invalid action"),
        (doc(allow("*", "ec2:RunInstances", "arn:aws:s3:::photos/*")), "Policy has invalid action"),
        (doc(allow("*", "s3:GetObject", "arn:aws:s3:::other/*")), "Policy has invalid resource"),
        (doc(allow("*", "s3:GetObject", "photos/*")), "Policy has invalid resource"),
        (doc(allow("*", "s3:GetObject", "arn:aws:s3:::photos")), "Action does not apply to any resource"),
        (doc(allow("*", "s3:ListBucket", "arn:aws:s3:::photos/*")), "Action does not apply to any resource"),
        (doc(allow({"Service": "x"}, "s3:GetObject", "arn:aws:s3:::photos/*")), "Invalid principal"),
        (doc(allow({"AWS": "not a user!"}, "s3:GetObject", "arn:aws:s3:::photos/*")), "Invalid principal"),
        (doc(allow("*", "s3:GetObject", "arn:aws:s3:::photos/*", Condition={"Foo": {"aws:x": "1"}})), "Condition"),
        (doc(allow("*", "s3:GetObject", "arn:aws:s3:::photos/*", Condition={"StringEquals": {"s3:bogus": "1"}})),
         "invalid condition key"),
        (doc(allow("*", "s3:GetObject", "arn:aws:s3:::photos/*", Condition={"IpAddress": {"aws:SourceIp": "x"}})),
         "Invalid IP address"),
        (doc(allow("*", "s3:GetObject", "arn:aws:s3:::photos/*", Bogus=1)), "Unknown field Bogus"),
        (doc(allow("*", "s3:GetObject", "arn:aws:s3:::photos/*"), version="2020-01-01"), "version"),
        (b"{" + b" " * policy.POLICY_BYTES_MAX + b"}", "maximum allowed document size"),
    ],
)  # fmt: skip
def test_malformed_policies(text: bytes, message: str) -> None:
    with pytest.raises(errors.MalformedPolicy, match=message) as exc:
        policy.parse(text, BUCKET)
    assert exc.value.status == 400 and exc.value.code == "MalformedPolicy"


def test_principal_forms_name_users() -> None:
    parsed = policy.parse(
        doc(
            allow(
                {"AWS": ["arn:aws:iam::123456789012:user/bob", "arn:aws:iam::carol:root", "dave"]},
                "s3:GetObject",
                "arn:aws:s3:::photos/*",
            ),
            allow({"CanonicalUser": "erin"}, "s3:GetObject", "arn:aws:s3:::photos/*"),
        ),
        BUCKET,
    )
    for user in ("bob", "carol", "dave", "erin"):
        assert parsed.evaluate(user, "s3:GetObject", "arn:aws:s3:::photos/a", {}) is Answer.ALLOW, user
    assert parsed.evaluate("mallory", "s3:GetObject", "arn:aws:s3:::photos/a", {}) is Answer.NONE
    assert parsed.evaluate("", "s3:GetObject", "arn:aws:s3:::photos/a", {}) is Answer.NONE


def test_deny_overrides_allow_and_wildcards_match() -> None:
    parsed = policy.parse(
        doc(
            allow("*", "s3:Get*", "arn:aws:s3:::photos/*"),
            {**allow({"AWS": "bob"}, "s3:*", "arn:aws:s3:::photos/secret/*"), "Effect": "Deny"},
        ),
        BUCKET,
    )
    assert parsed.evaluate("bob", "s3:GetObject", "arn:aws:s3:::photos/pub/a", {}) is Answer.ALLOW
    assert parsed.evaluate("bob", "s3:GetObject", "arn:aws:s3:::photos/secret/a", {}) is Answer.DENY
    assert parsed.evaluate("", "s3:getobject", "arn:aws:s3:::photos/secret/a", {}) is Answer.ALLOW  # case-blind
    assert parsed.evaluate("bob", "s3:PutObject", "arn:aws:s3:::photos/pub/a", {}) is Answer.NONE
    assert parsed.is_public


def test_not_action_not_resource_not_principal() -> None:
    parsed = policy.parse(
        doc(
            {"Effect": "Deny", "NotPrincipal": {"AWS": "alice"}, "NotAction": "s3:GetObject",
             "Resource": "arn:aws:s3:::photos/*"},
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "NotResource": "arn:aws:s3:::photos/private/*"},
        ),
        BUCKET,
    )  # fmt: skip
    assert parsed.evaluate("bob", "s3:PutObject", "arn:aws:s3:::photos/a", {}) is Answer.DENY
    assert parsed.evaluate("alice", "s3:PutObject", "arn:aws:s3:::photos/a", {}) is Answer.NONE
    assert parsed.evaluate("bob", "s3:GetObject", "arn:aws:s3:::photos/a", {}) is Answer.ALLOW
    assert parsed.evaluate("bob", "s3:GetObject", "arn:aws:s3:::photos/private/a", {}) is Answer.NONE


def test_conditions() -> None:
    clauses = conditions.parse(
        {
            "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.1.7"]},
            "StringLike": {"s3:prefix": ["home/${none}*", "docs/*"]},
            "Bool": {"aws:SecureTransport": True},
        }
    )
    good = {"aws:sourceip": "10.1.2.3", "s3:prefix": "docs/a", "aws:securetransport": "true"}
    assert conditions.holds(clauses, good)
    assert conditions.holds(clauses, {**good, "aws:sourceip": "192.168.1.7"})
    assert not conditions.holds(clauses, {**good, "aws:sourceip": "11.0.0.1"})
    assert not conditions.holds(clauses, {**good, "aws:securetransport": "false"})
    assert not conditions.holds(clauses, {**good, "s3:prefix": "other/"})
    missing = {k: v for k, v in good.items() if k != "s3:prefix"}
    assert not conditions.holds(clauses, missing)  # an absent key fails a positive operator


def test_negated_and_if_exists_operators_with_absent_keys() -> None:
    negated = conditions.parse({"StringNotEquals": {"s3:x-amz-acl": "public-read"}})
    assert conditions.holds(negated, {})
    assert not conditions.holds(negated, {"s3:x-amz-acl": "public-read"})
    assert conditions.holds(negated, {"s3:x-amz-acl": "private"})
    if_exists = conditions.parse({"NumericLessThanEqualsIfExists": {"s3:max-keys": "10"}})
    assert conditions.holds(if_exists, {}) and conditions.holds(if_exists, {"s3:max-keys": "10"})
    assert not conditions.holds(if_exists, {"s3:max-keys": "11"})
    not_ip = conditions.parse({"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}})
    assert not conditions.holds(not_ip, {"aws:sourceip": "127.0.0.1"})
    assert conditions.holds(not_ip, {"aws:sourceip": "10.0.0.1"})
    null = conditions.parse({"Null": {"aws:username": "true"}})
    assert conditions.holds(null, {}) and not conditions.holds(null, {"aws:username": "bob"})
    users = conditions.parse({"StringEquals": {"aws:username": ["bob", "carol"]}})
    assert conditions.holds(users, {"aws:username": "carol"}) and not conditions.holds(users, {"aws:username": "x"})


def test_globs_treat_only_star_and_question_mark_as_special() -> None:
    assert conditions.glob_match("a[b]*", "a[b]cd")
    assert not conditions.glob_match("a[b]*", "abcd")
    assert conditions.glob_match("k?y", "key") and not conditions.glob_match("k?y", "keey")


def test_public_policy_detection() -> None:
    def public(statement: dict[str, Any]) -> bool:
        return policy.parse(doc(statement), BUCKET).is_public

    resource = "arn:aws:s3:::photos/*"
    assert public(allow("*", "s3:GetObject", resource))
    assert public(allow({"AWS": "*"}, "s3:GetObject", resource))
    assert not public(allow({"AWS": "bob"}, "s3:GetObject", resource))
    assert not public({**allow("*", "s3:GetObject", resource), "Effect": "Deny"})
    assert not public(allow("*", "s3:GetObject", resource, Condition={"IpAddress": {"aws:SourceIp": "10.1.0.0/16"}}))
    assert public(allow("*", "s3:GetObject", resource, Condition={"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}))
    assert not public(allow("*", "s3:GetObject", resource, Condition={"StringEquals": {"aws:username": "bob"}}))
    assert public(allow("*", "s3:GetObject", resource, Condition={"StringLike": {"aws:username": "*"}}))
    assert public(allow("*", "s3:GetObject", resource, Condition={"StringEquals": {"s3:prefix": "a"}}))
