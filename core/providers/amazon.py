"""Amazon Selling Partner API: LWA tokens, per-operation token buckets; India is served from the EU endpoint."""

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

LWA = "https://api.amazon.com"
ENDPOINTS = {
    "eu": "https://sellingpartnerapi-eu.amazon.com",
    "na": "https://sellingpartnerapi-na.amazon.com",
    "fe": "https://sellingpartnerapi-fe.amazon.com",
}
INDIA_MARKETPLACE = "A21TJRUUN4KGV"

AMAZON = Provider(
    name="amazon",
    title="Amazon SP-API",
    auth=AuthScheme.LWA_REFRESH,
    credential_fields=("client_id", "client_secret", "refresh_token", "selling_partner_id", "marketplace_id"),
    auth_header=("x-amz-access-token", "{token}"),
    regions={
        region: {
            Environment.PRODUCTION: Hosts(api=api, auth=LWA),
            Environment.SANDBOX: Hosts(
                api=api, auth=LWA, sandbox_api=f"amazon:api:{region}", sandbox_auth="amazon:lwa"
            ),
        }
        for region, api in ENDPOINTS.items()
    },
    default_region="eu",
    token_path="/auth/o2/token",
    token_lifetime=timedelta(hours=1),
    refresh_margin=timedelta(minutes=5),
    # Default usage plans (requests per second, burst); the live rate comes back in x-amzn-RateLimit-Limit.
    rate_limits=(
        RateLimit("getOrders", limit=0.0167, per=1, burst=20, scope="selling_partner_id"),
        RateLimit("getOrder", limit=0.5, per=1, burst=30, scope="selling_partner_id"),
        RateLimit("getOrderItems", limit=0.5, per=1, burst=30, scope="selling_partner_id"),
        RateLimit("getOrderAddress", limit=0.5, per=1, burst=30, scope="selling_partner_id"),
        RateLimit("getOrderBuyerInfo", limit=0.5, per=1, burst=30, scope="selling_partner_id"),
        RateLimit("confirmShipment", limit=2, per=1, burst=10, scope="selling_partner_id"),
        RateLimit("createRestrictedDataToken", limit=1, per=1, burst=10, scope="selling_partner_id"),
    ),
    rate_headers=RateHeaders(limit="x-amzn-RateLimit-Limit"),
    pagination=Pagination.NEXT_TOKEN,
    verify=VerifyCall(
        "GET",
        "/orders/v0/orders",
        {"MarketplaceIds": INDIA_MARKETPLACE, "MaxResultsPerPage": "1", "CreatedAfter": "{day_ago}"},
        bucket="getOrders",
    ),
    webhook_auth=WebhookAuth.NONE,
)
