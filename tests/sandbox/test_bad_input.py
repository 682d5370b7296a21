"""Bad input to any sandbox gets that provider's own error envelope, never a stack trace or a 500.

Every route each simulator declares is called, authenticated as the demo merchant, with malformed bodies
and nonsense path and query values, over real HTTP against the running sandbox process.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.routing import BaseRoute, Mount, Route

from sandbox import registry

BAD_BODIES: list[tuple[str, bytes, str]] = [
    ("not json", b"{not json", "application/json"),
    ("json array", b"[1, 2, 3]", "application/json"),
    ("json scalar", b"42", "application/json"),
    (
        "wrong types",
        b'{"order_id": [], "items": "x", "quantity": {"a": 1}, "date": 7, "amount": "lots"}',
        "application/json",
    ),
    ("huge number", b'{"id": 1e400, "quantity": 99999999999999999999999999}', "application/json"),
    ("form garbage", b"a=%zz&&=&b", "application/x-www-form-urlencoded"),
    ("empty", b"", "application/json"),
]
BAD_QUERY = {
    "page": "-1",
    "per_page": "abc",
    "pageSize": "0",
    "searchCriteria[pageSize]": "x",
    "modifyDateStart": "yesterday",
    "CreatedAfter": "not-a-date",
    "MarketplaceIds": "",
    "organization_id": "1",
}
PATH_VALUES = ["0", "abc", "99999999999999999999999999", "%00"]


def _zoho_auth(info: dict[str, Any]) -> dict[str, str]:
    demo = info["demo"]
    centre = info["data_centres"][demo["data_centre"]]
    r = httpx.post(
        centre["accounts_url"] + "/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": demo["refresh_token"],
            "client_id": demo["client_id"],
            "client_secret": demo["client_secret"],
        },
    )
    return {"Authorization": f"Zoho-oauthtoken {r.json()['access_token']}"}


def _shiprocket_auth(info: dict[str, Any]) -> dict[str, str]:
    demo = info["demo"]
    r = httpx.post(info["base_url"] + "/auth/login", json={"email": demo["email"], "password": demo["password"]})
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _shipstation_auth(info: dict[str, Any]) -> dict[str, str]:
    demo = info["demo"]
    pair = base64.b64encode(f"{demo['api_key']}:{demo['api_secret']}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def _magento_auth(info: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {info['demo']['integration_token']}"}


def _amazon_auth(info: dict[str, Any]) -> dict[str, str]:
    demo = info["demo"]
    r = httpx.post(
        info["lwa_url"],
        data={
            "grant_type": "refresh_token",
            "refresh_token": demo["refresh_token"],
            "client_id": demo["client_id"],
            "client_secret": demo["client_secret"],
        },
    )
    return {"x-amz-access-token": r.json()["access_token"]}


AUTH: dict[str, Callable[[dict[str, Any]], dict[str, str]]] = {
    "zoho": _zoho_auth,
    "shiprocket": _shiprocket_auth,
    "shipstation": _shipstation_auth,
    "magento": _magento_auth,
    "amazon": _amazon_auth,
}


def _targets(name: str, info: dict[str, Any]) -> list[str]:
    """The base URLs a provider's routes are served under."""
    if name == "zoho":
        centre = info["data_centres"][info["demo"]["data_centre"]]
        return [centre["accounts_url"], centre["api_domain"]]
    if name == "amazon":
        return [info["lwa_url"].split("/auth/")[0], info["base_url"]]
    return [info["base_url"].split("/v1/external")[0].split("/rest/")[0]]


def _routes(routes: list[BaseRoute], prefix: str = "") -> list[tuple[str, set[str]]]:
    """Every provider route as (path, methods), with mounted sub-applications flattened."""
    out: list[tuple[str, set[str]]] = []
    for route in routes:
        if isinstance(route, Route) and not route.path.startswith("/_sandbox"):
            out.append((prefix + route.path, set(route.methods or {"GET"}) - {"HEAD"}))
        elif isinstance(route, Mount):
            out.extend(_routes(list(route.routes), prefix + route.path))
    return out


def _zoho_shape(body: Any) -> bool:
    return isinstance(body, dict) and (
        ("code" in body and "message" in body) or "error" in body  # API envelope, or the accounts server's
    )


def _amazon_shape(body: Any) -> bool:
    errors = body.get("errors") if isinstance(body, dict) else None
    lwa = isinstance(body, dict) and "error" in body and "error_description" in body
    return lwa or (isinstance(errors, list) and bool(errors) and {"code", "message"} <= set(errors[0]))


# The provider's own error envelope for a 4xx in JSON (documented in shared/providers/).
ERROR_SHAPES: dict[str, Callable[[Any], bool]] = {
    "zoho": _zoho_shape,
    "shiprocket": lambda b: isinstance(b, dict) and "message" in b,
    "shipstation": lambda b: isinstance(b, dict) and ("Message" in b or "message" in b),
    "magento": lambda b: isinstance(b, dict) and "message" in b,
    "amazon": _amazon_shape,
}


def _own_error(provider: str, response: httpx.Response) -> bool:
    if response.status_code < 400 or "json" not in response.headers.get("content-type", ""):
        return True  # successes, and HTML pages such as Zoho's authorize errors
    try:
        return ERROR_SHAPES[provider](response.json())
    except ValueError:
        return False


def _fill(path: str) -> list[str]:
    names = re.findall(r"{([^}:]+)(?::[^}]+)?}", path)
    if not names:
        return [path]
    out = []
    for value in PATH_VALUES:
        out.append(re.sub(r"{[^}]+}", value, path))
    return out


@pytest.mark.parametrize("provider", list(registry.PROVIDERS))
def test_bad_input_gets_the_providers_own_error_never_a_500_or_a_trace(sandboxes: Any, provider: str) -> None:
    info = sandboxes.fresh(provider)
    routes = _routes(list(registry.load(provider)().app.routes))
    assert routes, f"{provider} declares no routes"
    failures: list[str] = []
    checked = 0
    with httpx.Client(timeout=10) as client:
        for base in _targets(provider, info):
            for route_path, methods in routes:
                # A fresh merchant state, limits and token per route, so validation is reached, not a 429.
                client.post(info["admin_url"] + "/reset").raise_for_status()
                client.headers.update(AUTH[provider](info))
                for method in sorted(methods):
                    for path in _fill(route_path):
                        bodies = BAD_BODIES if method in ("POST", "PUT", "PATCH") else [("none", b"", "")]
                        for label, body, ctype in bodies:
                            h = {"Content-Type": ctype} if ctype else {}
                            r = client.request(method, base + path, params=BAD_QUERY, content=body, headers=h)
                            if r.status_code >= 500 or "Traceback" in r.text or 'File "/' in r.text:
                                failures.append(f"{method} {path} [{label}] -> {r.status_code}: {r.text[:200]}")
                            elif not _own_error(provider, r):
                                failures.append(f"{method} {path} [{label}] -> not {provider}'s error: {r.text[:200]}")
                            elif r.status_code >= 400 and "json" in r.headers.get("content-type", ""):
                                checked += 1
    assert not failures, f"{len(failures)} bad answers:\n" + "\n".join(failures[:40])
    assert checked > 20, f"only {checked} error envelopes were checked"
