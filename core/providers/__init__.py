"""The provider catalogue: one declarative entry per provider (see ``model.py`` for what an entry says).

``resolve()`` turns an entry, a region and an environment into the base URLs to call; in the sandbox
environment those are our offline simulators' listeners.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from core.providers.amazon import AMAZON
from core.providers.magento import MAGENTO
from core.providers.model import Environment, Provider
from core.providers.shiprocket import SHIPROCKET
from core.providers.shipstation import SHIPSTATION
from core.providers.zoho import ZOHO
from sandbox.ports import sandbox_url

CATALOGUE: dict[str, Provider] = {p.name: p for p in (ZOHO, SHIPROCKET, SHIPSTATION, MAGENTO, AMAZON)}
for _provider in CATALOGUE.values():
    _provider.validate()


class UnknownProvider(KeyError):
    pass


@dataclass(frozen=True)
class ResolvedHosts:
    api: str
    auth: str | None


def override_limits(spec: str) -> None:
    """Apply ``CONNECTORS_RATE_LIMITS``, e.g. ``{"zoho": {"api": {"limit": 200}}}`` (a raised Zoho plan).

    Any field of a ``RateLimit`` may be given; unknown providers, buckets or fields are refused by name.
    """
    if not spec.strip():
        return
    try:
        wanted = json.loads(spec)
    except json.JSONDecodeError as exc:
        raise ValueError(f"CONNECTORS_RATE_LIMITS is not JSON: {exc}") from None
    for name, buckets in wanted.items():
        provider = get(name)
        limits = dict(provider.limits)
        for bucket, fields in buckets.items():
            if bucket not in limits:
                raise ValueError(f"CONNECTORS_RATE_LIMITS: {name} has buckets {', '.join(limits)}, not {bucket!r}")
            try:
                limits[bucket] = dataclasses.replace(limits[bucket], **fields)
            except TypeError as exc:
                raise ValueError(f"CONNECTORS_RATE_LIMITS: {name}.{bucket}: {exc}") from None
        CATALOGUE[name] = dataclasses.replace(provider, rate_limits=tuple(limits.values()))


def get(name: str) -> Provider:
    try:
        return CATALOGUE[name]
    except KeyError:
        raise UnknownProvider(f"unknown provider {name!r}; the catalogue has {', '.join(CATALOGUE)}") from None


def resolve(
    provider: Provider,
    region: str | None,
    environment: Environment,
    *,
    store_url: str | None = None,
    sandbox_host: str = "127.0.0.1",
    sandbox_port_offset: int = 0,
) -> ResolvedHosts:
    region = region or provider.default_region
    if region not in provider.regions:
        raise ValueError(f"{provider.title} has no region {region!r}; choose from {', '.join(provider.regions)}")
    hosts = provider.regions[region][environment]

    def sandbox(ref: str) -> str:
        listener_ref, _, path = ref.partition("/")
        name, _, listener = listener_ref.partition(":")
        base = sandbox_url(name, listener, sandbox_host, sandbox_port_offset)
        return f"{base}/{path}" if path else base

    if environment is Environment.SANDBOX:
        assert hosts.sandbox_api is not None  # validated at load time
        return ResolvedHosts(sandbox(hosts.sandbox_api), sandbox(hosts.sandbox_auth) if hosts.sandbox_auth else None)
    if "{store_url}" in hosts.api:
        if not store_url:
            raise ValueError(f"{provider.title} needs the merchant's store URL")
        store_url = store_url.rstrip("/")
        return ResolvedHosts(
            hosts.api.format(store_url=store_url), hosts.auth.format(store_url=store_url) if hosts.auth else None
        )
    return ResolvedHosts(hosts.api, hosts.auth)
