"""Policy ``Condition`` blocks: operators, their validation, and their evaluation against the
request's condition keys.

A block is ``{operator: {key: value | [values]}}``; every operator must hold, and within one
operator every key (AND); one key matches if any listed value matches (OR). A key absent from the
request fails a positive operator and satisfies a negated one (``StringNotEquals``,
``NotIpAddress``...); ``...IfExists`` makes an absent key satisfy any operator.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from objectio.gateway import errors

Values = tuple[str, ...]
# Keys the gateway fills in (lower case); aws:* keys it does not know are accepted and never present.
S3_KEYS = frozenset(
    """s3:prefix s3:delimiter s3:max-keys s3:x-amz-acl s3:x-amz-content-sha256 s3:x-amz-copy-source
    s3:x-amz-metadata-directive s3:x-amz-storage-class s3:authtype s3:signatureversion
    s3:x-amz-grant-read s3:x-amz-grant-write s3:x-amz-grant-read-acp s3:x-amz-grant-write-acp
    s3:x-amz-grant-full-control s3:object-ownership s3:versionid s3:existingobjecttag""".split()  # noqa: SIM905
)
KEY_RE = re.compile(r"^(aws|s3):[A-Za-z0-9_./:-]+$")


@functools.lru_cache(maxsize=4096)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def glob_match(pattern: str, value: str) -> bool:
    """IAM wildcards: ``*`` any run of characters, ``?`` one character; nothing else is special."""
    return _glob(pattern).fullmatch(value) is not None


def _like(pattern: str, value: str) -> bool:
    return glob_match(pattern, value)


@functools.lru_cache(maxsize=1024)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text, strict=False)


@functools.lru_cache(maxsize=4096)
def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _ip_in(network: str, value: str) -> bool:
    address = _address(value)
    try:
        return address is not None and address in _network(network)
    except ValueError:
        return False


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def test(expected: str, value: str) -> bool:
        try:
            return compare(float(value), float(expected))
        except ValueError:
            return False

    return test


def _bool(expected: str, value: str) -> bool:
    return expected.lower() == value.lower()


# operator -> (test(policy value, request value), negated)
OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (lambda e, v: e == v, False),
    "StringNotEquals": (lambda e, v: e == v, True),
    "StringEqualsIgnoreCase": (lambda e, v: e.lower() == v.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda e, v: e.lower() == v.lower(), True),
    "StringLike": (_like, False),
    "StringNotLike": (_like, True),
    "NumericEquals": (_numeric(lambda v, e: v == e), False),
    "NumericNotEquals": (_numeric(lambda v, e: v == e), True),
    "NumericLessThan": (_numeric(lambda v, e: v < e), False),
    "NumericLessThanEquals": (_numeric(lambda v, e: v <= e), False),
    "NumericGreaterThan": (_numeric(lambda v, e: v > e), False),
    "NumericGreaterThanEquals": (_numeric(lambda v, e: v >= e), False),
    "IpAddress": (_ip_in, False),
    "NotIpAddress": (_ip_in, True),
    "Bool": (_bool, False),
    "ArnEquals": (lambda e, v: e == v, False),
    "ArnLike": (_like, False),
    "ArnNotEquals": (lambda e, v: e == v, True),
    "ArnNotLike": (_like, True),
}
IF_EXISTS = "IfExists"


@dataclass(frozen=True, slots=True)
class Clause:
    operator: str  # a key of OPERATORS
    if_exists: bool
    key: str  # lower case
    values: Values


def _split_operator(name: str) -> tuple[str, bool]:
    if name.endswith(IF_EXISTS) and name != "Null":
        return name[: -len(IF_EXISTS)], True
    return name, False


def _values(raw: object) -> Values:
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, str | int | float):
            out.append(str(item))
        else:
            raise errors.MalformedPolicy("Invalid Condition value")
    if not out:
        raise errors.MalformedPolicy("Invalid Condition value")
    return tuple(out)


def parse(block: object) -> tuple[Clause, ...]:
    """Validate a ``Condition`` element (MalformedPolicy) into clauses."""
    if not isinstance(block, dict):
        raise errors.MalformedPolicy("Condition must be an object")
    clauses = []
    for name, keys in block.items():
        operator, if_exists = _split_operator(name)
        if operator not in OPERATORS and operator != "Null":
            raise errors.MalformedPolicy(f"Invalid Condition type : {name}")
        if not isinstance(keys, dict) or not keys:
            raise errors.MalformedPolicy(f"Invalid Condition block for {name}")
        for key, raw in keys.items():
            lowered = key.lower()
            if not KEY_RE.match(key) or (lowered.startswith("s3:") and lowered not in S3_KEYS):
                raise errors.MalformedPolicy("Policy has an invalid condition key")
            values = _values(raw)
            if operator in ("IpAddress", "NotIpAddress"):
                for value in values:
                    try:
                        ipaddress.ip_network(value, strict=False)
                    except ValueError:
                        raise errors.MalformedPolicy(f"Invalid IP address: {value}") from None
            clauses.append(Clause(operator, if_exists, lowered, values))
    return tuple(clauses)


def holds(clauses: tuple[Clause, ...], context: Mapping[str, str]) -> bool:
    """Whether every clause holds for the request's condition keys (``context``, lower-case keys)."""
    for clause in clauses:
        value = context.get(clause.key)
        if clause.operator == "Null":  # "true": the key must be absent
            if (value is None) != (clause.values[0].lower() == "true"):
                return False
            continue
        test, negated = OPERATORS[clause.operator]
        if value is None:
            if clause.if_exists or negated:
                continue
            return False
        matched = any(test(expected, value) for expected in clause.values)
        if matched == negated:
            return False
    return True


# Keys whose fixed values pin a statement to known callers (a statement with "*" as principal
# limited by one of these is not public, as AWS judges it).
LIMITING_KEYS = frozenset(
    """aws:sourceip aws:sourcevpc aws:sourcevpce aws:sourcearn aws:sourceaccount aws:principalaccount
    aws:principalarn aws:principalorgid aws:userid aws:username aws:sourceowner""".split()  # noqa: SIM905
)


def limits_principal(clauses: tuple[Clause, ...]) -> bool:
    """True if some clause pins the caller to fixed values (not ``*``, not ``0.0.0.0/0``)."""
    for clause in clauses:
        if clause.key not in LIMITING_KEYS or clause.if_exists:
            continue
        if clause.operator in ("IpAddress",):
            if all(ipaddress.ip_network(v, strict=False).prefixlen >= 8 for v in clause.values):
                return True
        elif clause.operator in ("StringEquals", "StringEqualsIgnoreCase", "ArnEquals") or (
            clause.operator in ("StringLike", "ArnLike") and not any("*" in v or "?" in v for v in clause.values)
        ):
            return True
    return False
