"""The core-related commands: ``core``, ``tenant``, ``keys``."""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from pathlib import Path

import grpc

from connectors.settings import Settings


def run_core(settings: Settings, ready_file: Path | None) -> int:
    from connectors.logs import configure
    from core.server import serve

    configure()
    from core.vault import KeyringError

    async def main() -> None:
        ready = asyncio.Event()
        task = asyncio.create_task(serve(settings, ready))
        waiter = asyncio.create_task(ready.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if ready.is_set() and ready_file:
            tmp = ready_file.with_suffix(".tmp")
            tmp.write_text(json.dumps({"core": {"addr": settings.core_addr}}))
            tmp.replace(ready_file)
        waiter.cancel()
        await task

    try:
        asyncio.run(main())
    except (KeyringError, ValueError, OSError) as exc:
        print(f"connectors core: {exc}", file=sys.stderr)
        return 2
    return 0


def _slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:63] or "tenant"


def tenant_command(settings: Settings, action: str, name: str | None, slug: str | None) -> int:
    from connector.v1 import tenant_pb2, tenant_pb2_grpc
    from connectors.core_client import CoreClient

    async def main() -> int:
        client = CoreClient(settings)
        try:
            stub = client.stub(tenant_pb2_grpc.TenantServiceStub)
            if action == "create":
                if not name:
                    print("connectors tenant create: give the merchant's NAME", file=sys.stderr)
                    return 2
                request = tenant_pb2.CreateTenantRequest(slug=slug or _slugify(name), name=name)
                tenant = (await stub.CreateTenant(request)).tenant
                print(f"{tenant.tenant_id}  {tenant.slug}  {tenant.name}")
            else:
                for t in (await stub.ListTenants(tenant_pb2.ListTenantsRequest(page_size=200))).tenants:
                    print(f"{t.tenant_id}  {t.slug}  {t.name}")
            return 0
        except grpc.aio.AioRpcError as exc:
            print(f"connectors tenant {action}: {exc.code().name}: {exc.details()}", file=sys.stderr)
            return 1
        finally:
            await client.close()

    return asyncio.run(main())


def keys_command(settings: Settings, action: str, kid: str | None) -> int:
    from core.keys import rotate
    from core.vault import Keyring, KeyringError, Vault
    from tenants.db import make_engine

    if action == "generate":
        print(Keyring.generate_entry(kid or f"k{int(time.time())}"))
        return 0
    try:
        vault = Vault(Keyring.parse(settings.master_keys))
    except KeyringError as exc:
        print(f"connectors keys rotate: {exc}", file=sys.stderr)
        return 2

    async def main() -> int:
        engine = make_engine(settings)
        try:
            result = await rotate(engine, vault)
        finally:
            await engine.dispose()
        print(
            f"re-wrapped {result.rewrapped} tenant data key(s) under {vault.keyring.active_id!r}; "
            f"{result.already_current} already were"
        )
        return 0

    return asyncio.run(main())
