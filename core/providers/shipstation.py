"""ShipStation API V1 (Basic auth with key and secret; Pacific local timestamps)."""

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

API = "https://ssapi.shipstation.com"

SHIPSTATION = Provider(
    name="shipstation",
    title="ShipStation",
    auth=AuthScheme.BASIC,
    credential_fields=("api_key", "api_secret"),
    auth_header=("Authorization", "Basic {token}"),
    regions={
        "us": {
            Environment.PRODUCTION: Hosts(api=API),
            Environment.SANDBOX: Hosts(api=API, sandbox_api="shipstation:api"),
        }
    },
    default_region="us",
    token_path=None,
    token_lifetime=None,
    refresh_margin=timedelta(0),
    rate_limits=(RateLimit("api", limit=40, per=60, scope="api_key", window="fixed", burst=2, headroom=1),),
    rate_headers=RateHeaders(
        limit="X-Rate-Limit-Limit", remaining="X-Rate-Limit-Remaining", reset="X-Rate-Limit-Reset"
    ),
    pagination=Pagination.PAGE_PAGES,
    verify=VerifyCall("GET", "/stores"),
    webhook_auth=WebhookAuth.URL_SECRET,
)
