"""What a merchant can connect, as data read from the core's own catalogue (``core.providers``,
``core.credentials``) plus the words people need: labels, hints, Zoho's data centres, Amazon's marketplaces.

Pure: building the ``Credentials`` a provider takes from submitted fields, and refusing what is missing
with the name of every field at fault (the core checks again; this only says it earlier and in the caller's
own field names: ``credentials.password`` in JSON, ``password`` in a form).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from connector.v1 import common_pb2, connection_pb2
from core import providers
from core.credentials import SCHEMAS
from core.providers.model import AuthScheme, Environment, WebhookAuth
from core.providers.zoho import DATA_CENTRES
from portal.web.errors import FieldProblem, Problem

PROVIDER_ENUMS: dict[str, common_pb2.Provider.ValueType] = {
    "zoho": common_pb2.PROVIDER_ZOHO,
    "shiprocket": common_pb2.PROVIDER_SHIPROCKET,
    "shipstation": common_pb2.PROVIDER_SHIPSTATION,
    "magento": common_pb2.PROVIDER_MAGENTO,
    "amazon": common_pb2.PROVIDER_AMAZON,
}
PROVIDER_NAMES: dict[int, str] = {value: name for name, value in PROVIDER_ENUMS.items()}

ENVIRONMENTS: dict[str, common_pb2.Environment.ValueType] = {
    Environment.PRODUCTION.value: common_pb2.ENVIRONMENT_PRODUCTION,
    Environment.SANDBOX.value: common_pb2.ENVIRONMENT_SANDBOX,
}
ENVIRONMENT_NAMES: dict[int, str] = {value: name for name, value in ENVIRONMENTS.items()}
ENVIRONMENT_LABELS = {
    "production": "Production (your live account)",
    "sandbox": "Sandbox (the platform's offline test copy of the provider)",
}

DESCRIPTIONS = {
    "zoho": "Inventory and Books: sales orders, stock, invoices and payments. You sign in at Zoho to grant access.",
    "shiprocket": "Courier bookings, AWBs, tracking and COD remittances for Indian shipments.",
    "shipstation": "Orders and shipments from your US stores and marketplaces.",
    "magento": "Orders from your Magento 2 / Adobe Commerce store.",
    "amazon": "Orders from Amazon Seller Central through the Selling Partner API.",
}

CREDENTIAL_KINDS: dict[str, type[Any]] = {
    "api_key": connection_pb2.ApiKeyCredentials,
    "password": connection_pb2.PasswordCredentials,
    "store": connection_pb2.StoreCredentials,
    "amazon": connection_pb2.AmazonCredentials,
    "oauth_client": connection_pb2.OAuthClientCredentials,
}

ZOHO_COUNTRIES = {
    "us": "United States",
    "eu": "Europe",
    "in": "India",
    "au": "Australia",
    "jp": "Japan",
    "ca": "Canada",
    "cn": "China",
    "sa": "Saudi Arabia",
}
"""Only the words: the data centres themselves come from the core's Zoho entry (a new one shows by its code)."""

AMAZON_MARKETPLACES: dict[str, tuple[str, str]] = {
    "A21TJRUUN4KGV": ("India (amazon.in)", "eu"),
    "ATVPDKIKX0DER": ("United States (amazon.com)", "na"),
    "A2EUQ1WTGCTBG2": ("Canada (amazon.ca)", "na"),
    "A1AM78C64UM0Y8": ("Mexico (amazon.com.mx)", "na"),
    "A2Q3Y263D00KWC": ("Brazil (amazon.com.br)", "na"),
    "A1F83G8C2ARO7P": ("United Kingdom (amazon.co.uk)", "eu"),
    "A1PA6795UKMFR9": ("Germany (amazon.de)", "eu"),
    "A13V1IB3VIYZZH": ("France (amazon.fr)", "eu"),
    "APJ6JRA9NG5V4": ("Italy (amazon.it)", "eu"),
    "A1RKKUPIHCS9HS": ("Spain (amazon.es)", "eu"),
    "A1805IZSGTT6HS": ("Netherlands (amazon.nl)", "eu"),
    "A2NODRKZP88ZB9": ("Sweden (amazon.se)", "eu"),
    "A1C3SOZRARQ6R3": ("Poland (amazon.pl)", "eu"),
    "AMEN7PMS3EDWL": ("Belgium (amazon.com.be)", "eu"),
    "A28R8C7NBKEWEA": ("Ireland (amazon.ie)", "eu"),
    "A33AVAJ2PDY3EV": ("Turkey (amazon.com.tr)", "eu"),
    "A2VIGQ35RCS4UG": ("United Arab Emirates (amazon.ae)", "eu"),
    "A17E79C6D8DWNP": ("Saudi Arabia (amazon.sa)", "eu"),
    "ARBP9OOSHTCHU": ("Egypt (amazon.eg)", "eu"),
    "AE08WJ6YKNBMC": ("South Africa (amazon.co.za)", "eu"),
    "A1VC38T7YXB528": ("Japan (amazon.co.jp)", "fe"),
    "A39IBJ37TRP1C6": ("Australia (amazon.com.au)", "fe"),
    "A19VAU5U5O7RUS": ("Singapore (amazon.sg)", "fe"),
}
"""Marketplace id → (label, the SP-API endpoint region serving it; India is served from the EU endpoint)."""

AMAZON_REGIONS = {
    "eu": "Europe endpoint (EU, India, Middle East)",
    "na": "North America endpoint",
    "fe": "Far East endpoint",
}
REGION_LABELS = {
    "shiprocket": {"in": "India"},
    "shipstation": {"us": "United States"},
    "magento": {"default": "Your store"},
}


@dataclass(frozen=True)
class Field:
    """One input of a provider's connect form (and one key of the API's ``credentials`` object)."""

    name: str
    label: str
    secret: bool = False
    required: bool = False
    hint: str = ""
    kind: str = "text"
    """``text``, ``email``, ``url``, ``password`` or ``select``."""
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Offer:
    """A provider as the portal offers it: how it connects, where it lives, what the merchant types."""

    name: str
    title: str
    description: str
    oauth: bool
    regions: tuple[tuple[str, str], ...]
    default_region: str
    fields: tuple[Field, ...]
    one_of: tuple[tuple[str, ...], ...] = ()
    webhooks: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def zoho_domain(region: str) -> str:
    """``in`` → ``zoho.in``; ``ca`` → ``zohocloud.ca`` (the accounts server's host without ``accounts.``)."""
    accounts, _ = DATA_CENTRES[region]
    host = accounts.split("://", 1)[-1].rstrip("/")
    return host.removeprefix("accounts.")


def zoho_regions() -> tuple[tuple[str, str], ...]:
    """Every Zoho data centre of the core's catalogue as (code, label): ``("in", "India (zoho.in)")``."""
    return tuple(
        (code, f"{ZOHO_COUNTRIES.get(code, code.upper())} ({zoho_domain(code)})")
        for code in providers.get("zoho").regions
    )


def region_label(provider: str, region: str) -> str:
    if provider == "zoho" and region in DATA_CENTRES:
        return dict(zoho_regions())[region]
    if provider == "amazon":
        return AMAZON_REGIONS.get(region, region)
    return REGION_LABELS.get(provider, {}).get(region, region)


_MARKETPLACE_CHOICES = tuple((mid, label) for mid, (label, _) in AMAZON_MARKETPLACES.items())

FIELDS: dict[str, tuple[Field, ...]] = {
    "zoho": (
        Field(
            "client_id",
            "Client ID (optional)",
            hint="Leave both empty to authorise the platform's own Zoho app; or give the Server-based Application "
            "you created in Zoho's API console.",
        ),
        Field("client_secret", "Client secret (optional)", secret=True, kind="password"),
        Field(
            "organization_id",
            "Organisation ID (optional)",
            hint="Leave empty to use your default Zoho organisation; set it when your account has several.",
        ),
    ),
    "shiprocket": (
        Field(
            "email",
            "API user email",
            required=True,
            kind="email",
            hint="In Shiprocket: Settings → API → Configure → Create an API User. It must not be your login email.",
        ),
        Field("password", "API user password", secret=True, required=True, kind="password"),
    ),
    "shipstation": (
        Field("api_key", "API key", required=True, hint="In ShipStation: Settings → Account → API Settings."),
        Field("api_secret", "API secret", secret=True, required=True, kind="password"),
    ),
    "magento": (
        Field(
            "store_url",
            "Store URL",
            kind="url",
            hint="Your store's base URL, e.g. https://shop.example.in (required for a production store).",
        ),
        Field(
            "integration_token",
            "Integration access token",
            secret=True,
            kind="password",
            hint="System → Extensions → Integrations → your integration → Access Token. Or give an admin user below.",
        ),
        Field("username", "Admin username"),
        Field("password", "Admin password", secret=True, kind="password"),
    ),
    "amazon": (
        Field(
            "selling_partner_id",
            "Seller ID (selling partner ID)",
            required=True,
            hint="Seller Central → Settings → Account Info → Merchant Token.",
        ),
        Field("marketplace_id", "Marketplace", required=True, kind="select", choices=_MARKETPLACE_CHOICES),
        Field(
            "refresh_token",
            "LWA refresh token",
            secret=True,
            required=True,
            kind="password",
            hint="From authorising the app in Seller Central (Apps and Services → Develop Apps → Authorize).",
        ),
        Field("client_id", "LWA client ID", required=True, hint="Your SP-API application's Login with Amazon client."),
        Field("client_secret", "LWA client secret", secret=True, required=True, kind="password"),
    ),
}
"""Per provider, in the order a merchant fills them in. Which fields the core requires comes from
``core.credentials.SCHEMAS``; the portal requires a few more where the platform cannot work without them
(Amazon's seller and marketplace: budgets are counted per seller)."""


ACCOUNT_LABELS = {
    "email": "Account",
    "username": "Admin user",
    "selling_partner_id": "Seller",
    "marketplace_id": "Marketplace",
}
"""What a connection's ``account`` entries are called on its page (the Zoho organisation has a row of its own)."""

PLATFORM_APP_FIELDS = {("zoho", "client_id"), ("zoho", "client_secret")}
"""Left empty, the core uses the platform's own OAuth app (``CONNECTORS_OAUTH_CLIENTS``), or says it has none."""


def _offer(name: str) -> Offer:
    provider = providers.get(name)
    schema = SCHEMAS[name]
    fields = tuple(
        f
        if f.required or f.name not in schema.required or (name, f.name) in PLATFORM_APP_FIELDS
        else dataclasses.replace(f, required=True)
        for f in FIELDS[name]
    )
    regions = zoho_regions() if name == "zoho" else tuple((r, region_label(name, r)) for r in provider.regions)
    return Offer(
        name=name,
        title=provider.title,
        description=DESCRIPTIONS.get(name, ""),
        oauth=provider.auth is AuthScheme.OAUTH2_REFRESH,
        regions=regions,
        default_region=provider.default_region,
        fields=fields,
        one_of=schema.one_of,
        webhooks=provider.webhook_auth is not WebhookAuth.NONE,
    )


OFFERS: dict[str, Offer] = {name: _offer(name) for name in providers.CATALOGUE if name in FIELDS}


def offer(name: str) -> Offer:
    """The provider called ``name`` (404 naming the ones there are)."""
    found = OFFERS.get(name)
    if found is None:
        raise Problem(404, f"no provider called {name!r}; choose one of {', '.join(OFFERS)}")
    return found


def check_provider(name: str, field_name: str = "provider") -> Offer:
    found = OFFERS.get(name.strip().lower())
    if found is None:
        raise Problem.invalid(field_name, f"must be one of {', '.join(OFFERS)}")
    return found


def check_environment(value: str, field_name: str = "environment") -> common_pb2.Environment.ValueType:
    found = ENVIRONMENTS.get((value or "production").strip().lower())
    if found is None:
        raise Problem.invalid(field_name, f"must be one of {', '.join(ENVIRONMENTS)}")
    return found


def check_region(provider: Offer, region: str, field_name: str = "region") -> str:
    region = (region or provider.default_region).strip().lower()
    codes = [code for code, _ in provider.regions]
    if region not in codes:
        raise Problem.invalid(field_name, f"{provider.title} has no region {region!r}; use one of {', '.join(codes)}")
    return region


def amazon_region(marketplace_id: str) -> str | None:
    """The SP-API endpoint region that serves a marketplace (None for one the portal does not know)."""
    known = AMAZON_MARKETPLACES.get(marketplace_id)
    return known[1] if known else None


def credentials(
    provider: Offer, values: dict[str, Any], *, prefix: str = "", production: bool = True
) -> connection_pb2.Credentials:
    """The ``Credentials`` message the provider takes, from submitted values; Problem (400) naming every missing
    or unknown field as ``prefix + name``."""
    problems: list[FieldProblem] = []
    known = {f.name: f for f in provider.fields}
    clean: dict[str, str] = {}
    for name, value in values.items():
        if name not in known:
            problems.append(FieldProblem(prefix + name, f"is not a {provider.title} credential"))
        elif value is not None and not isinstance(value, str):
            problems.append(FieldProblem(prefix + name, "must be a string"))
        elif value and value.strip():
            clean[name] = value.strip()
    for f in provider.fields:
        if f.required and f.name not in clean:
            problems.append(FieldProblem(prefix + f.name, "is required"))
    if provider.one_of and not any(all(n in clean for n in group) for group in provider.one_of):
        options = " or ".join(" and ".join(prefix + n for n in group) for group in provider.one_of)
        problems.append(FieldProblem(prefix + provider.one_of[0][0], f"needs {options}"))
    if provider.name == "magento" and production and "store_url" not in clean:
        problems.append(FieldProblem(prefix + "store_url", "is required for a production store"))
    if provider.name == "magento" and clean.get("store_url", "").split("://", 1)[0] not in ("http", "https", ""):
        problems.append(FieldProblem(prefix + "store_url", "must start with https:// (or http://)"))
    if provider.name == "amazon" and clean.get("marketplace_id") and amazon_region(clean["marketplace_id"]) is None:
        problems.append(FieldProblem(prefix + "marketplace_id", "is not a marketplace id the platform knows"))
    if problems:
        raise Problem(400, "; ".join(f"{p.field}: {p.description}" for p in problems), problems)
    kind = SCHEMAS[provider.name].kind
    message = CREDENTIAL_KINDS[kind](**clean)
    return connection_pb2.Credentials(**{kind: message})


def core_field(name: str, provider: str, prefix: str) -> str:
    """The core names ``credentials.<kind>.<field>``; the caller knows it as ``prefix + field``."""
    kind = SCHEMAS[provider].kind if provider in SCHEMAS else ""
    for start in (f"credentials.{kind}.", "credentials."):
        if name.startswith(start):
            return prefix + name.removeprefix(start)
    return name


def offer_json(o: Offer) -> dict[str, Any]:
    """A provider for ``GET /api/v1/providers``."""
    return {
        "provider": o.name,
        "title": o.title,
        "description": o.description,
        "connect": "oauth" if o.oauth else "credentials",
        "regions": [{"region": code, "label": label} for code, label in o.regions],
        "default_region": o.default_region,
        "environments": list(ENVIRONMENTS),
        "credentials": [
            {
                "name": f.name,
                "label": f.label,
                "secret": f.secret,
                "required": f.required,
                "hint": f.hint,
                **({"choices": [{"value": v, "label": label} for v, label in f.choices]} if f.choices else {}),
            }
            for f in o.fields
        ],
        "one_of": [list(group) for group in o.one_of],
        "webhooks": o.webhooks,
    }
