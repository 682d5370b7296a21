"""Zoho: one OAuth entry for Inventory v1 and Books v3, in eight data centres."""

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

# data centre → (accounts server, API domain). Adding a data centre is one line.
DATA_CENTRES: dict[str, tuple[str, str]] = {
    "us": ("https://accounts.zoho.com", "https://www.zohoapis.com"),
    "eu": ("https://accounts.zoho.eu", "https://www.zohoapis.eu"),
    "in": ("https://accounts.zoho.in", "https://www.zohoapis.in"),
    "au": ("https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
    "jp": ("https://accounts.zoho.jp", "https://www.zohoapis.jp"),
    "ca": ("https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
    "cn": ("https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
    "sa": ("https://accounts.zoho.sa", "https://www.zohoapis.sa"),
}

ZOHO = Provider(
    name="zoho",
    title="Zoho Inventory and Books",
    auth=AuthScheme.OAUTH2_REFRESH,
    credential_fields=("client_id", "client_secret", "refresh_token"),
    auth_header=("Authorization", "Zoho-oauthtoken {token}"),
    regions={
        dc: {
            Environment.PRODUCTION: Hosts(api=api, auth=accounts),
            Environment.SANDBOX: Hosts(
                api=api, auth=accounts, sandbox_api=f"zoho:api:{dc}", sandbox_auth=f"zoho:accounts:{dc}"
            ),
        }
        for dc, (accounts, api) in DATA_CENTRES.items()
    },
    default_region="in",
    token_path="/oauth/v2/token",
    token_lifetime=timedelta(hours=1),
    refresh_margin=timedelta(minutes=5),
    rate_limits=(RateLimit("api", limit=100, per=60, scope="organization_id", window="fixed", burst=2, headroom=1),),
    rate_headers=RateHeaders(),
    pagination=Pagination.PAGE_CONTEXT,
    verify=VerifyCall("GET", "/inventory/v1/organizations"),
    webhook_auth=WebhookAuth.HMAC_SHA256,
    webhook_header="x-zoho-webhook-signature",
    required_params=("organization_id",),
    products={"inventory": "/inventory/v1", "books": "/books/v3"},
    notes="The api_domain and accounts-server Zoho returns with a grant win over these defaults.",
)
