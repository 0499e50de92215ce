"""Bucket policies: JSON validation (MalformedPolicy with AWS's messages), evaluation of one request
against the statements, and the "is this policy public" test.

A statement applies when its principal, action, resource and conditions all match. The policy's
answer is DENY if any applying statement denies, else ALLOW if any allows, else NONE. Principals are
user names: ``"*"`` (everyone, anonymous included), ``"bob"``, ``{"AWS": "arn:aws:iam::<any>:user/bob"}``,
``{"AWS": "arn:aws:iam::bob:root"}`` (each user is its own account) or ``{"CanonicalUser": "bob"}``.
"""

from __future__ import annotations

import enum
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from objectio.gateway import errors
from objectio.gateway.access import conditions
from objectio.gateway.access.actions import ARN_PREFIX, BUCKET_ACTIONS, KNOWN_ACTIONS_LOWER, OBJECT_ACTIONS

POLICY_BYTES_MAX = 20 * 1024  # AWS: a bucket policy is at most 20 KB
STATEMENTS_MAX = 1000  # far beyond what 20 KB can hold; bounds the parse
VERSIONS = ("2012-10-17", "2008-10-17")
STATEMENT_FIELDS = frozenset(
    {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)
ACTION_RE = re.compile(r"^s3:[A-Za-z*?]+$")
USER_ARN_RE = re.compile(r"^arn:aws:iam::[^:]*:user/(.+)$")
ROOT_ARN_RE = re.compile(r"^arn:aws:iam::([^:]+):root$")
USER_NAME_RE = re.compile(r"^[A-Za-z0-9_.@+=,-]{1,128}$")
EVERYONE = "*"


class Answer(enum.Enum):
    NONE = "none"
    ALLOW = "allow"
    DENY = "deny"


@dataclass(frozen=True, slots=True)
class Statement:
    allow: bool
    principals: frozenset[str] | None  # user names or "*"; None: every principal (NotPrincipal only)
    not_principals: frozenset[str]
    actions: tuple[str, ...]  # lower-case glob patterns
    not_action: bool
    resources: tuple[str, ...]  # ARN glob patterns
    not_resource: bool
    conditions: tuple[conditions.Clause, ...]

    def principal_matches(self, user: str) -> bool:
        if self.principals is not None:
            return EVERYONE in self.principals or (bool(user) and user in self.principals)
        return not (user and user in self.not_principals) and EVERYONE not in self.not_principals

    def applies(self, user: str, action: str, resource: str, context: Mapping[str, str]) -> bool:
        if not self.principal_matches(user):
            return False
        lowered = action.lower()
        if any(conditions.glob_match(a, lowered) for a in self.actions) == self.not_action:
            return False
        if any(conditions.glob_match(r, resource) for r in self.resources) == self.not_resource:
            return False
        return conditions.holds(self.conditions, context)

    @property
    def is_public(self) -> bool:
        """Allows everyone (``*``) without a condition that pins the caller."""
        everyone = self.principals is None or EVERYONE in self.principals
        return self.allow and everyone and not conditions.limits_principal(self.conditions)


@dataclass(frozen=True, slots=True)
class Policy:
    statements: tuple[Statement, ...]

    def evaluate(self, user: str, action: str, resource: str, context: Mapping[str, str]) -> Answer:
        answer = Answer.NONE
        for statement in self.statements:
            if statement.applies(user, action, resource, context):
                if not statement.allow:
                    return Answer.DENY
                answer = Answer.ALLOW
        return answer

    @property
    def is_public(self) -> bool:
        return any(s.is_public for s in self.statements)


def _strings(raw: object, message: str) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(i, str) and i for i in items):
        raise errors.MalformedPolicy(message)
    return tuple(str(i) for i in items)


def _principal_name(text: str) -> str:
    if text == EVERYONE:
        return text
    for pattern in (USER_ARN_RE, ROOT_ARN_RE):
        match = pattern.match(text)
        if match:
            text = match.group(1)
            break
    if not USER_NAME_RE.match(text):
        raise errors.MalformedPolicy("Invalid principal in policy")
    return text


def _principals(raw: object) -> frozenset[str]:
    if raw == EVERYONE:
        return frozenset({EVERYONE})
    if not isinstance(raw, dict) or not raw:
        raise errors.MalformedPolicy("Invalid principal in policy")
    names: set[str] = set()
    for kind, value in raw.items():
        if kind not in ("AWS", "CanonicalUser"):
            raise errors.MalformedPolicy("Invalid principal in policy")
        names.update(_principal_name(v) for v in _strings(value, "Invalid principal in policy"))
    return frozenset(names)


def _actions(raw: object) -> tuple[str, ...]:
    actions = _strings(raw, "Policy has invalid action")
    for action in actions:
        if action == "*":
            continue
        if not ACTION_RE.match(action):
            raise errors.MalformedPolicy("Policy has invalid action")
        if "*" not in action and "?" not in action and action.lower() not in KNOWN_ACTIONS_LOWER:
            raise errors.MalformedPolicy("Policy has invalid action")
    return tuple(a.lower() for a in actions)


def _resources(raw: object, bucket: str) -> tuple[str, ...]:
    resources = _strings(raw, "Policy has invalid resource")
    for resource in resources:
        if resource == "*":
            continue
        if not resource.startswith(ARN_PREFIX):
            raise errors.MalformedPolicy("Policy has invalid resource")
        bucket_part = resource[len(ARN_PREFIX) :].split("/", 1)[0]
        if not conditions.glob_match(bucket_part, bucket):
            raise errors.MalformedPolicy("Policy has invalid resource")
    return resources


def _check_applicable(actions: tuple[str, ...], resources: tuple[str, ...]) -> None:
    """AWS refuses a statement whose (exact) actions can never meet its resources."""
    exact = [a for a in actions if "*" not in a and "?" not in a]
    if not exact or len(exact) != len(actions) or "*" in resources:
        return
    object_actions = {a.lower() for a in OBJECT_ACTIONS}
    bucket_actions = {a.lower() for a in BUCKET_ACTIONS}
    has_object_resource = any("/" in r[len(ARN_PREFIX) :] for r in resources)
    has_bucket_resource = any("/" not in r[len(ARN_PREFIX) :] for r in resources)
    for action in exact:
        if (action in object_actions and has_object_resource) or (action in bucket_actions and has_bucket_resource):
            return
    raise errors.MalformedPolicy("Action does not apply to any resource(s) in statement")


def _statement(raw: object, bucket: str) -> Statement:
    if not isinstance(raw, dict):
        raise errors.MalformedPolicy("Statement must be an object")
    unknown = sorted(set(raw) - STATEMENT_FIELDS)
    if unknown:
        raise errors.MalformedPolicy(f"Unknown field {unknown[0]}")
    effect = raw.get("Effect")
    if effect is None:
        raise errors.MalformedPolicy("Missing required field Effect")
    if effect not in ("Allow", "Deny"):
        raise errors.MalformedPolicy(f"Invalid effect: {effect}")
    if ("Principal" in raw) == ("NotPrincipal" in raw):
        raise errors.MalformedPolicy("Missing required field Principal")
    if ("Action" in raw) == ("NotAction" in raw):
        raise errors.MalformedPolicy("Missing required field Action")
    if ("Resource" in raw) == ("NotResource" in raw):
        raise errors.MalformedPolicy("Missing required field Resource")
    actions = _actions(raw.get("Action", raw.get("NotAction")))
    resources = _resources(raw.get("Resource", raw.get("NotResource")), bucket)
    if "Action" in raw and "Resource" in raw:
        _check_applicable(actions, resources)
    return Statement(
        allow=effect == "Allow",
        principals=_principals(raw["Principal"]) if "Principal" in raw else None,
        not_principals=_principals(raw["NotPrincipal"]) if "NotPrincipal" in raw else frozenset(),
        actions=actions,
        not_action="NotAction" in raw,
        resources=resources,
        not_resource="NotResource" in raw,
        conditions=conditions.parse(raw["Condition"]) if "Condition" in raw else (),
    )


def parse(text: bytes, bucket: str) -> Policy:
    """Validate a policy document for ``bucket``; MalformedPolicy says what is wrong."""
    if len(text) > POLICY_BYTES_MAX:
        raise errors.MalformedPolicy(f"Policy exceeds the maximum allowed document size of {POLICY_BYTES_MAX} bytes.")
    if not text.lstrip().startswith(b"{"):
        raise errors.MalformedPolicy()
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise errors.MalformedPolicy("This policy contains invalid Json") from None
    unknown = sorted(set(document) - {"Version", "Id", "Statement"})
    if unknown:
        raise errors.MalformedPolicy(f"Unknown field {unknown[0]}")
    if "Version" in document and document["Version"] not in VERSIONS:
        raise errors.MalformedPolicy("Invalid policy document version")
    raw = document.get("Statement")
    if raw is None:
        raise errors.MalformedPolicy("Missing required field Statement")
    statements = raw if isinstance(raw, list) else [raw]
    if not statements or len(statements) > STATEMENTS_MAX:
        raise errors.MalformedPolicy("Missing required field Statement")
    return Policy(tuple(_statement(s, bucket) for s in statements))


@functools.lru_cache(maxsize=1024)
def cached(text: bytes, bucket: str) -> Policy:
    """A stored policy, parsed once per distinct document (bytes cache their hash)."""
    return parse(text, bucket)
