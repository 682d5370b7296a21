"""Magento 2 / Adobe Commerce REST: each merchant's own store URL."""

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

MAGENTO = Provider(
    name="magento",
    title="Magento 2",
    auth=AuthScheme.ADMIN_TOKEN,
    credential_fields=("store_url", "username", "password", "integration_token"),
    auth_header=("Authorization", "Bearer {token}"),
    regions={
        "default": {
            Environment.PRODUCTION: Hosts(api="{store_url}/rest/default/V1", auth="{store_url}/rest/V1"),
            Environment.SANDBOX: Hosts(
                api="{store_url}/rest/default/V1",
                auth="{store_url}/rest/V1",
                sandbox_api="magento:api/rest/default/V1",
                sandbox_auth="magento:api/rest/V1",
            ),
        }
    },
    default_region="default",
    token_path="/integration/admin/token",
    token_lifetime=timedelta(hours=4),
    refresh_margin=timedelta(minutes=10),
    # Magento has no built-in API limit; be polite to the merchant's own server (configurable).
    rate_limits=(RateLimit("api", limit=600, per=60, scope="connection"),),
    rate_headers=RateHeaders(),
    pagination=Pagination.SEARCH_CRITERIA,
    verify=VerifyCall("GET", "/orders", {"searchCriteria[pageSize]": "1"}),
    webhook_auth=WebhookAuth.NONE,
    notes="An integration token needs no refresh; admin credentials get a 4 h token.",
)
