"""What each provider's credentials consist of, as data: which fields are secret, which are plain
parameters, which are required, and how the proto ``Credentials`` oneof carries them.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from core.errors import FieldViolation, InvalidArgument


@dataclass(frozen=True)
class CredentialSchema:
    kind: str
    """The ``Credentials`` oneof member this provider takes."""
    secret: tuple[str, ...]
    """Sealed in the vault; never returned."""
    params: tuple[str, ...] = ()
    """Stored in plain (organization id, store URL...): not secrets, needed to route calls."""
    required: tuple[str, ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()
    """Alternatives of which at least one complete group is needed (Magento: token, or user and password)."""
    shown: tuple[str, ...] = ()
    """Parameters that say which account the connection reaches (``Connection.account``): never a secret or
    half of one."""


SCHEMAS: dict[str, CredentialSchema] = {
    "zoho": CredentialSchema(
        "oauth_client",
        secret=("client_secret", "refresh_token"),
        params=("client_id", "organization_id"),
        required=("client_id", "client_secret"),
        shown=("organization_id",),
    ),
    "shiprocket": CredentialSchema(
        "password", secret=("password",), params=("email",), required=("email", "password"), shown=("email",)
    ),
    "shipstation": CredentialSchema(
        "api_key", secret=("api_secret",), params=("api_key",), required=("api_key", "api_secret")
    ),
    "magento": CredentialSchema(
        "store",
        secret=("password", "integration_token"),
        params=("store_url", "username"),
        one_of=(("integration_token",), ("username", "password")),
        shown=("username",),  # the store is the connection's api_base_url
    ),
    "amazon": CredentialSchema(
        "amazon",
        secret=("client_secret", "refresh_token"),
        params=("client_id", "selling_partner_id", "marketplace_id"),
        required=("client_id", "client_secret", "refresh_token"),
        shown=("selling_partner_id", "marketplace_id"),
    ),
}


@dataclass(frozen=True)
class Parsed:
    secrets: dict[str, str]
    params: dict[str, str]


def parse(provider: str, kind: str | None, fields: dict[str, str], *, require_store_url: bool) -> Parsed:
    """Validate the fields a caller sent; raises InvalidArgument naming every problem."""
    schema = SCHEMAS[provider]
    problems: list[FieldViolation] = []
    if kind != schema.kind:
        given = kind or "nothing"
        problems.append(FieldViolation("credentials", f"{provider} takes {schema.kind} credentials, got {given}"))
        raise InvalidArgument(problems)
    values = {k: v.strip() for k, v in fields.items() if v and v.strip()}
    for name in schema.required:
        if name not in values:
            problems.append(FieldViolation(f"credentials.{kind}.{name}", "is required"))
    if schema.one_of and not any(all(f in values for f in group) for group in schema.one_of):
        options = " or ".join(" and ".join(group) for group in schema.one_of)
        problems.append(FieldViolation(f"credentials.{kind}", f"needs {options}"))
    if provider == "magento":
        url = values.get("store_url", "")
        if url:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                problems.append(FieldViolation(f"credentials.{kind}.store_url", f"is not an http(s) URL: {url!r}"))
        elif require_store_url:
            problems.append(FieldViolation(f"credentials.{kind}.store_url", "is required"))
    if problems:
        raise InvalidArgument(problems)
    return Parsed(
        secrets={k: values[k] for k in schema.secret if k in values},
        params={k: values[k] for k in schema.params if k in values},
    )
