"""The merchant's own use of the Zoho sandbox in tests (confirming orders, reading what the flows wrote back),
apart from the platform's: one access token minted per helper, because Zoho limits how many tokens a refresh
token mints, and every call made in the organisation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx


def token_request(demo: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The sandbox's token endpoint and the refresh grant of its demo app: (url, form)."""
    return f"{demo['accounts_url']}/oauth/v2/token", {
        "grant_type": "refresh_token",
        "refresh_token": demo["refresh_token"],
        "client_id": demo["client_id"],
        "client_secret": demo["client_secret"],
    }


def mint_token(http: httpx.Client, demo: dict[str, Any]) -> str:
    url, form = token_request(demo)
    answer = http.post(url, data=form)
    answer.raise_for_status()
    return str(answer.json()["access_token"])


@dataclass
class ZohoMerchant:
    demo: dict[str, Any]
    """The sandbox's ``demo`` entry (accounts_url, api_domain, the demo app and its refresh token)."""
    organization_id: str
    token: str = ""

    async def call(
        self, http: httpx.AsyncClient, method: str, path: str, *, product: str = "inventory/v1", **kwargs: Any
    ) -> httpx.Response:
        """``path`` under ``product`` (inventory/v1, books/v3; "" when the path names it); raises for a status of
        400 or more."""
        if not self.token:
            url, form = token_request(self.demo)
            minted = await http.post(url, data=form)
            minted.raise_for_status()
            self.token = minted.json()["access_token"]
        answer = await http.request(
            method,
            f"{self.demo['api_domain']}{'/' if product else ''}{product}{path}",
            params={"organization_id": self.organization_id, **kwargs.pop("params", {})},
            headers={"Authorization": f"Zoho-oauthtoken {self.token}"},
            **kwargs,
        )
        answer.raise_for_status()
        return answer


def decimal_json(answer: httpx.Response) -> Any:
    """A Zoho answer with its amounts as Decimal."""
    return json.loads(answer.text, parse_float=Decimal)
