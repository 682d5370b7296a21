"""Shiprocket External API v1 (India only)."""

from __future__ import annotations

from datetime import timedelta

from core.providers.model import (
    AuthScheme,
    Environment,
    Hosts,
    Pagination,
    Provider,
    RateHeaders,
    RateLimit,
    VerifyCall,
    WebhookAuth,
)

API = "https://apiv2.shiprocket.in/v1/external"

SHIPROCKET = Provider(
    name="shiprocket",
    title="Shiprocket",
    auth=AuthScheme.PASSWORD_LOGIN,
    credential_fields=("email", "password"),
    auth_header=("Authorization", "Bearer {token}"),
    regions={
        "in": {
            Environment.PRODUCTION: Hosts(api=API, auth=API),
            Environment.SANDBOX: Hosts(
                api=API, auth=API, sandbox_api="shiprocket:api/v1/external", sandbox_auth="shiprocket:api/v1/external"
            ),
        }
    },
    default_region="in",
    token_path="/auth/login",
    token_lifetime=timedelta(hours=240),
    refresh_margin=timedelta(hours=1),
    refresh_after=timedelta(hours=23),
    # Shiprocket publishes no numbers; a conservative default, configurable per tenant.
    rate_limits=(RateLimit("api", limit=120, per=60, scope="connection"),),
    rate_headers=RateHeaders(),
    pagination=Pagination.META_PAGINATION,
    verify=VerifyCall("GET", "/settings/company/pickup"),
    webhook_auth=WebhookAuth.STATIC_HEADER,
    webhook_header="x-api-key",
    webhook_segment="tracking",
)
