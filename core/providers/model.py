"""What the catalogue says about a provider: the shape every entry fills in, validated at load time.

Host templates may name ``{store_url}`` (Magento: each merchant's own store); every other difference
between providers is a value here, not code. Sandbox hosts are listeners of our offline simulators
(``sandbox/ports.py``), resolved against the configured sandbox host and port offset.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum


class AuthScheme(StrEnum):
    OAUTH2_REFRESH = "oauth2_refresh"  # Zoho: authorization code once, then refresh tokens
    PASSWORD_LOGIN = "password_login"  # Shiprocket: email + password → JWT
    BASIC = "basic"  # ShipStation V1: key:secret on every call
    ADMIN_TOKEN = "admin_token"  # Magento: admin user → 4 h token, or a standing integration token
    LWA_REFRESH = "lwa_refresh"  # Amazon: Login with Amazon refresh-token grant


class Environment(StrEnum):
    PRODUCTION = "production"
    SANDBOX = "sandbox"


class Pagination(StrEnum):
    PAGE_CONTEXT = "page_context"  # Zoho: page/per_page, page_context.has_more_page
    META_PAGINATION = "meta_pagination"  # Shiprocket: page/per_page, meta.pagination.total_pages
    PAGE_PAGES = "page_pages"  # ShipStation V1: page/pageSize, {total, page, pages}
    SEARCH_CRITERIA = "search_criteria"  # Magento: searchCriteria[currentPage], stop on total_count
    NEXT_TOKEN = "next_token"  # Amazon: NextToken until absent


class WebhookAuth(StrEnum):
    HMAC_SHA256 = "hmac_sha256"  # Zoho: X-Zoho-Webhook-Signature with the webhook secret
    STATIC_HEADER = "static_header"  # Shiprocket: the configured token in x-api-key
    URL_SECRET = "url_secret"  # ShipStation V1: unsigned; a per-connection secret in our URL
    NONE = "none"  # Magento, Amazon: no HTTP webhooks; we poll


@dataclass(frozen=True)
class Hosts:
    """Where one region of a provider lives in one environment."""

    api: str
    auth: str | None = None
    sandbox_api: str | None = None
    """For SANDBOX: ``provider:listener[/path]`` of the simulator serving the API (``shiprocket:api/v1/external``)."""
    sandbox_auth: str | None = None


@dataclass(frozen=True)
class RateLimit:
    """``limit`` calls per ``per`` seconds shared by every worker, counted per ``scope``."""

    bucket: str
    limit: float
    per: float
    scope: str
    """Whom the provider counts: the connection parameter naming that account (``organization_id`` for Zoho,
    ``api_key`` for ShipStation, ``selling_partner_id`` for Amazon — per bucket, i.e. per operation), or
    ``connection`` when each connection is its own account."""
    burst: int | None = None
    """Token-bucket providers (Amazon): the provider's burst. Fixed-window providers: our small burst."""
    headroom: int = 0
    """Fixed windows: calls kept unused per window, for clock skew and network jitter between us and them."""
    window: str = "bucket"
    """``fixed``: the provider counts calls per window (Zoho, ShipStation), so any window of ``per`` seconds
    may see at most ``burst + rate * per`` calls; ``bucket``: the provider runs a token bucket (Amazon)."""


@dataclass(frozen=True)
class RateHeaders:
    limit: str | None = None
    remaining: str | None = None
    reset: str | None = None
    retry_after: str | None = "Retry-After"


@dataclass(frozen=True)
class VerifyCall:
    """The provider's cheapest authenticated call, used by "test connection" and health checks."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    """Query parameters; a value may be ``{day_ago}``, filled in at call time (Amazon needs a CreatedAfter)."""
    bucket: str = "api"
    """The budget bucket it takes from (Amazon: the operation)."""

    def query(self, now: datetime) -> dict[str, str]:
        day_ago = (now - timedelta(days=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {name: value.format(day_ago=day_ago) for name, value in self.params.items()}


@dataclass(frozen=True)
class Provider:
    name: str
    title: str
    auth: AuthScheme
    credential_fields: tuple[str, ...]
    """What the merchant supplies; every field is a secret held only by the core."""
    auth_header: tuple[str, str]
    """Header name and value template with ``{token}`` for each call."""
    regions: dict[str, dict[Environment, Hosts]]
    default_region: str
    token_path: str | None
    token_lifetime: timedelta | None
    refresh_margin: timedelta
    """Refresh this long before expiry (Zoho: 5 minutes, i.e. at 55 of 60)."""
    rate_limits: tuple[RateLimit, ...]
    rate_headers: RateHeaders
    pagination: Pagination
    verify: VerifyCall
    webhook_auth: WebhookAuth
    webhook_header: str | None = None
    webhook_segment: str | None = None
    """The path segment under /hooks when not the provider's name (Shiprocket refuses URLs naming it)."""
    """The header carrying the webhook signature (HMAC) or token (static header), lower case."""
    refresh_after: timedelta | None = None
    """Refresh a token older than this even if it lives longer (Shiprocket: 23 h of a 240 h JWT)."""
    required_params: tuple[str, ...] = ()
    """Parameters every data call carries (Zoho: ``organization_id``)."""
    products: dict[str, str] = field(default_factory=dict)
    """Path prefixes of products sharing this provider's auth (Zoho: inventory, books)."""
    notes: str = ""

    @functools.cached_property
    def limits(self) -> dict[str, RateLimit]:
        """The rate limits by bucket."""
        return {rl.bucket: rl for rl in self.rate_limits}

    def validate(self) -> None:
        """Refuse an incomplete entry at load time, naming the provider and the field."""
        where = f"provider {self.name!r}"
        if not self.regions or self.default_region not in self.regions:
            raise ValueError(f"{where}: default_region {self.default_region!r} is not among its regions")
        for region, envs in self.regions.items():
            if Environment.PRODUCTION not in envs or Environment.SANDBOX not in envs:
                raise ValueError(f"{where}: region {region!r} needs production and sandbox hosts")
            if not envs[Environment.SANDBOX].sandbox_api:
                raise ValueError(f"{where}: region {region!r} sandbox hosts name no simulator listener")
        if "{token}" not in self.auth_header[1]:
            raise ValueError(f"{where}: auth_header value must contain {{token}}")
        if self.auth in (AuthScheme.OAUTH2_REFRESH, AuthScheme.PASSWORD_LOGIN, AuthScheme.LWA_REFRESH) and not (
            self.token_path and self.token_lifetime
        ):
            raise ValueError(f"{where}: {self.auth} needs token_path and token_lifetime")
        if self.token_lifetime is not None and self.refresh_margin >= self.token_lifetime:
            raise ValueError(f"{where}: refresh_margin must be shorter than token_lifetime")
        needs_header = self.webhook_auth in (WebhookAuth.HMAC_SHA256, WebhookAuth.STATIC_HEADER)
        if needs_header != bool(self.webhook_header):
            raise ValueError(f"{where}: webhook_header is required exactly when webhook_auth sends one")
        for template in [h.api for envs in self.regions.values() for h in envs.values()]:
            unknown = set(re.findall(r"{(\w+)}", template)) - {"store_url"}
            if unknown:
                raise ValueError(f"{where}: host template {template!r} names undeclared {sorted(unknown)}")
