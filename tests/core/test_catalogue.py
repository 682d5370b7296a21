"""The provider catalogue: complete entries, every Zoho data centre, hosts resolved per environment."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from core import providers
from core.providers.model import Environment
from core.providers.zoho import ZOHO

ROOT = Path(__file__).resolve().parents[2]


def test_every_provider_is_catalogued_and_valid() -> None:
    assert set(providers.CATALOGUE) == {"zoho", "shiprocket", "shipstation", "magento", "amazon"}
    for provider in providers.CATALOGUE.values():
        provider.validate()


def test_zoho_has_all_eight_data_centres_with_their_own_hosts() -> None:
    assert set(ZOHO.regions) == {"us", "eu", "in", "au", "jp", "ca", "cn", "sa"}
    ca = providers.resolve(ZOHO, "ca", Environment.PRODUCTION)
    assert ca == providers.ResolvedHosts("https://www.zohoapis.ca", "https://accounts.zohocloud.ca")
    assert ZOHO.token_lifetime is not None and ZOHO.token_lifetime - ZOHO.refresh_margin == timedelta(minutes=55)


def test_sandbox_hosts_are_the_simulators_listeners_and_follow_the_port_offset() -> None:
    india = providers.resolve(ZOHO, "in", Environment.SANDBOX, sandbox_port_offset=1000)
    assert india == providers.ResolvedHosts("http://127.0.0.1:10122", "http://127.0.0.1:10112")
    shiprocket = providers.resolve(providers.get("shiprocket"), None, Environment.SANDBOX)
    assert shiprocket.api == "http://127.0.0.1:9130/v1/external"


def test_magento_lives_at_the_merchants_own_store() -> None:
    magento = providers.get("magento")
    hosts = providers.resolve(magento, None, Environment.PRODUCTION, store_url="https://shop.example.in/")
    assert hosts.api == "https://shop.example.in/rest/default/V1"
    with pytest.raises(ValueError, match="store URL"):
        providers.resolve(magento, None, Environment.PRODUCTION)


def test_unknown_provider_and_region_are_named_in_the_error() -> None:
    with pytest.raises(providers.UnknownProvider, match="'fedex'"):
        providers.get("fedex")
    with pytest.raises(ValueError, match="no region 'mars'"):
        providers.resolve(ZOHO, "mars", Environment.PRODUCTION)


def test_an_incomplete_entry_is_refused_at_load_time() -> None:
    broken = dataclasses.replace(ZOHO, token_path=None)
    with pytest.raises(ValueError, match="needs token_path"):
        broken.validate()
    broken = dataclasses.replace(ZOHO, default_region="mars")
    with pytest.raises(ValueError, match="default_region 'mars'"):
        broken.validate()


def test_the_catalogue_and_the_running_sandboxes_agree_on_every_base_url() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "connectors.cli", "sandbox", "info", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    info = json.loads(out.stdout)
    for dc, centre in info["zoho"]["data_centres"].items():
        hosts = providers.resolve(ZOHO, dc, Environment.SANDBOX)
        assert (hosts.api, hosts.auth) == (centre["api_domain"], centre["accounts_url"])
    assert (
        providers.resolve(providers.get("shiprocket"), None, Environment.SANDBOX).api == info["shiprocket"]["base_url"]
    )
    assert (
        providers.resolve(providers.get("shipstation"), None, Environment.SANDBOX).api
        == info["shipstation"]["base_url"]
    )
    assert providers.resolve(providers.get("magento"), None, Environment.SANDBOX).api == info["magento"]["rest_url"]
    amazon = providers.resolve(providers.get("amazon"), "eu", Environment.SANDBOX)
    assert amazon.api == info["amazon"]["base_url"] and info["amazon"]["lwa_url"].startswith(amazon.auth or "-")


def test_rate_limits_are_configurable_and_bad_overrides_are_named() -> None:
    original = providers.CATALOGUE["zoho"]
    try:
        providers.override_limits('{"zoho": {"api": {"limit": 200}}}')
        assert providers.get("zoho").rate_limits[0].limit == 200
    finally:
        providers.CATALOGUE["zoho"] = original
    with pytest.raises(ValueError, match="not 'orders'"):
        providers.override_limits('{"zoho": {"orders": {"limit": 1}}}')
    with pytest.raises(ValueError, match="colour"):
        providers.override_limits('{"zoho": {"api": {"colour": 1}}}')
    with pytest.raises(providers.UnknownProvider):
        providers.override_limits('{"fedex": {}}')
