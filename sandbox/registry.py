"""Which simulators exist and where they listen by default.

Default ports (all on 127.0.0.1, shifted together by ``CONNECTORS_SANDBOX_PORT_OFFSET``):

    zoho         accounts:<dc> 9110-9117, api:<dc> 9120-9127 (us eu in au jp ca cn sa)
    shiprocket   9130
    shipstation  9140
    magento      9150
    amazon       lwa 9160, api:eu 9161, api:na 9162, api:fe 9163
"""

from __future__ import annotations

import importlib

from sandbox.kit.simulator import Simulator

PROVIDERS: dict[str, str] = {
    "zoho": "sandbox.zoho:ZohoSimulator",
    "shiprocket": "sandbox.shiprocket:ShiprocketSimulator",
    "shipstation": "sandbox.shipstation:ShipStationSimulator",
    "magento": "sandbox.magento:MagentoSimulator",
    "amazon": "sandbox.amazon:AmazonSimulator",
}


def load(name: str) -> type[Simulator]:
    try:
        target = PROVIDERS[name]
    except KeyError:
        raise KeyError(f"unknown sandbox {name!r}; choose from {', '.join(PROVIDERS)}") from None
    module, _, attr = target.partition(":")
    cls: type[Simulator] = getattr(importlib.import_module(module), attr)
    return cls


def names(only: str | None = None) -> list[str]:
    if not only:
        return list(PROVIDERS)
    wanted = [n.strip() for n in only.split(",") if n.strip()]
    for n in wanted:
        load(n)
    return wanted
