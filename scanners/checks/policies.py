"""Reading AWS policy documents (IAM, S3 bucket and trust policies) the way the checks need them.

Deliberately conservative: a statement counts as public or as full administrator access only when the
document says so plainly; conditions that tie access to an account, an organisation, a network or a
source resource make a statement non-public.
"""

from __future__ import annotations

from typing import Any

# Condition keys that restrict who or where a request can come from.
RESTRICTING_CONDITION_KEYS = frozenset(
    {
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceip",
        "aws:sourceowner",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:userid",
        "aws:username",
        "s3:dataaccesspointaccount",
        "s3:dataaccesspointarn",
    }
)


def as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def statements(policy: dict | None) -> list[dict]:
    if not policy:
        return []
    return [item for item in as_list(policy.get("Statement")) if isinstance(item, dict)]


def allows(statement: dict) -> bool:
    return str(statement.get("Effect", "")).lower() == "allow"


def denies(statement: dict) -> bool:
    return str(statement.get("Effect", "")).lower() == "deny"


def grants_full_admin(policy: dict | None) -> bool:
    """Allow of every action on every resource: Action "*" (or "*:*") with Resource "*"."""
    for statement in statements(policy):
        if not allows(statement) or "NotAction" in statement or "NotResource" in statement:
            continue
        actions = {str(action) for action in as_list(statement.get("Action"))}
        if actions & {"*", "*:*"} and "*" in as_list(statement.get("Resource")):
            return True
    return False


def is_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return "*" in as_list(principal.get("AWS")) or "*" in as_list(principal.get("CanonicalUser"))
    return False


def condition_keys(statement: dict) -> set[str]:
    keys: set[str] = set()
    for clauses in (statement.get("Condition") or {}).values():
        if isinstance(clauses, dict):
            keys |= {str(key).lower() for key in clauses}
    return keys


def public_statements(policy: dict | None) -> list[dict]:
    """Statements that allow anyone at all, with nothing restricting where the request comes from."""
    return [
        statement
        for statement in statements(policy)
        if allows(statement)
        and is_everyone(statement.get("Principal"))
        and not condition_keys(statement) & RESTRICTING_CONDITION_KEYS
    ]


def denies_insecure_transport(policy: dict | None) -> bool:
    """A Deny for everyone on requests where aws:SecureTransport is false (plain HTTP)."""
    for statement in statements(policy):
        if not denies(statement) or not is_everyone(statement.get("Principal")):
            continue
        for operator, clauses in (statement.get("Condition") or {}).items():
            if not operator.lower().startswith("bool") or not isinstance(clauses, dict):
                continue
            for key, value in clauses.items():
                if key.lower() == "aws:securetransport" and "false" in {str(v).lower() for v in as_list(value)}:
                    return True
    return False


def trusted_principals(trust_policy: dict | None) -> dict[str, list[str]]:
    """Who may assume a role, by kind (Service, AWS, Federated), and which assume actions they use."""
    found: dict[str, list[str]] = {}
    for statement in statements(trust_policy):
        if not allows(statement):
            continue
        principal = statement.get("Principal")
        if isinstance(principal, dict):
            for kind, values in principal.items():
                found.setdefault(kind, []).extend(str(value) for value in as_list(values))
        elif principal is not None:
            found.setdefault("AWS", []).append(str(principal))
        found.setdefault("actions", []).extend(str(action) for action in as_list(statement.get("Action")))
    return found
