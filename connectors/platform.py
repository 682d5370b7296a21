"""Bringing the whole platform up on one machine (``make up``) and describing what runs where."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from typing import Any

from connectors import supervisor
from connectors.demo import DEMO_OWNER, DEMO_SUPPORT
from connectors.settings import Settings


def run(command: str, settings: Settings) -> int:
    if command == "down":
        for service in reversed(supervisor.SERVICES):
            stopped = supervisor.stop(service)
            print(f"{service.name:10} {'stopped' if stopped else 'was not running'}")
        return 0
    if command == "status":
        for service in supervisor.SERVICES:
            pid = supervisor.running_pid(service)
            print(f"{service.name:10} {'running, pid ' + str(pid) if pid else 'stopped'}")
        return 0

    import asyncio

    from connectors import devenv
    from connectors.doctor import problems
    from tenants.migrate import migrate

    devenv.ensure()
    devenv.load()  # the processes started below inherit the development keys and tokens
    settings = Settings.from_env()
    found = asyncio.run(problems(settings))
    if found:
        for problem in found:
            print(f"missing: {problem}", file=sys.stderr)
        return 1
    migrate(settings)
    password = os.environ.get("CONNECTORS_DEMO_PASSWORD", "")
    print(f"Portal: http://{settings.portal_addr}  (sign in as {DEMO_OWNER}, password {password};")
    print(f"        support staff: {DEMO_SUPPORT}, same password)\n")
    print(f"database   {settings.database_url.split('@')[-1]} migrated to head")
    print(f"redis      {settings.redis_url}")
    sandboxes: dict[str, Any] = {}
    tenant_id = ""
    for service in supervisor.SERVICES:
        try:
            info = supervisor.start(service)
        except (RuntimeError, TimeoutError) as exc:
            print(f"{service.name}: {exc}", file=sys.stderr)
            return 1
        print(f"{service.name:10} running ({service.description}); log {service.log_file}")
        if service.name == "sandbox":
            print(describe_sandboxes(info))
            sandboxes = info
            # The core (started next, inheriting this environment) offers the sandbox's demo Zoho app as the
            # platform's own, so a merchant connects Zoho in the portal without registering an app.
            demo = info.get("zoho", {}).get("demo", {})
            if not os.environ.get("CONNECTORS_OAUTH_CLIENTS") and demo.get("client_id"):
                os.environ["CONNECTORS_OAUTH_CLIENTS"] = json.dumps(
                    {"zoho:sandbox": {"client_id": demo["client_id"], "client_secret": demo["client_secret"]}}
                )
        if service.name == "core":
            print(f"{'':10} listening on {settings.core_addr}")
            tenant_id, results = asyncio.run(_demo(settings, sandboxes, password))
            print(f"\nDemo tenant {tenant_id} (demo-traders), connected to every sandbox:")
            for name, ok, error in results:
                print(f"  {name:16} {'healthy' if ok else 'FAILING: ' + error}")
        if service.name == "portal":
            url = str(info["portal"]["url"])
            print(f"{'':10} {url}")
            for line in asyncio.run(_wire(settings, tenant_id, url, sandboxes)):
                print(f"{'':10} webhook: {line}")
    print(f"\nOpen http://{settings.portal_addr} and sign in as {DEMO_OWNER} with password {password}")
    print(f"(support console: {DEMO_SUPPORT}, same password).")
    print("\nStop everything with 'make down'.")
    print("Every sandbox URL (all Zoho data centres) and credential: 'uv run connectors sandbox info --json'.")
    return 0


async def _demo(
    settings: Settings, sandboxes: dict[str, Any], password: str
) -> tuple[str, list[tuple[str, bool, str]]]:
    from connectors.core_client import CoreClient
    from connectors.demo import ensure_demo, ensure_demo_people, ensure_demo_settings

    client = CoreClient(settings)
    try:
        tenant_id, tested = await ensure_demo(client, sandboxes)
    finally:
        await client.close()
    await ensure_demo_settings(settings, tenant_id)
    if password:
        await ensure_demo_people(settings, tenant_id, password)
    return tenant_id, tested


async def _wire(settings: Settings, tenant_id: str, portal_url: str, sandboxes: dict[str, Any]) -> list[str]:
    from connectors.core_client import CoreClient
    from connectors.demo import wire_webhooks

    client = CoreClient(settings)
    try:
        return await wire_webhooks(client, tenant_id, portal_url, sandboxes)
    finally:
        await client.close()


def describe_sandboxes(info: dict[str, Any]) -> str:
    """A table of every sandbox's base URL, admin surface and demo credentials."""
    lines = ["", "Provider sandboxes, each with its admin surface and the demo merchant's credentials:"]
    for name, data in info.items():
        base = data.get("base_url")
        if name == "zoho":
            dc = data.get("demo", {}).get("data_centre", "in")
            centre = data.get("data_centres", {}).get(dc, {})
            accounts = centre.get("accounts_url", "?")
            base = f"{centre.get('api_domain', '?')} (accounts {accounts}, {dc.upper()} data centre)"
        lines.append(f"  {name:12} {base}")
        lines.append(f"  {'':12} admin {data.get('admin_url', '?')}")
        demo = data.get("demo", {})
        creds = [f"{k}={v}" for k, v in demo.items() if not isinstance(v, (dict, list)) and k != "account"]
        for line in textwrap.wrap("  ".join(creds), width=104, break_on_hyphens=False, break_long_words=False):
            lines.append(f"  {'':12} {line}")
    return "\n".join(lines)
