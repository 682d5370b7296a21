"""The ``connectors`` command. Subcommands grow with the platform:

connectors sandbox [--only zoho,shiprocket] [--ephemeral] [--ready-file F]   run the provider sandboxes
connectors sandbox info --json                                               their URLs and demo credentials
connectors migrate [--revision head]                                         create the database, run Alembic
connectors doctor                                                            check PostgreSQL and Redis
connectors up | down | status                                                the platform, detached
connectors replay --tenant T [--flow F] [--since WHEN] [--reason R] [--dry-run]  replay dead-lettered records
connectors sync --tenant T --flow F --from D [--to D] [--estimate-only]  backfill a window: estimate, then run
connectors support-user create EMAIL --name NAME [--password-stdin]   a support staff account for the portal
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

from connectors.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="connectors", description="The connector platform.")
    sub = parser.add_subparsers(dest="command", required=True)

    sandbox = sub.add_parser("sandbox", help="run the offline provider sandboxes")
    sandbox.add_argument("action", nargs="?", choices=["run", "info"], default="run")
    sandbox.add_argument("--json", action="store_true", help="(info) print JSON")
    sandbox.add_argument("--only", help="comma-separated providers (default: all)")
    sandbox.add_argument("--ephemeral", action="store_true", help="listen on free ports instead of the defaults")
    sandbox.add_argument("--ready-file", type=Path, help="write the URLs and credentials here once listening")

    migrate = sub.add_parser("migrate", help="create the database if absent and apply migrations")
    migrate.add_argument("--revision", default="head")

    sub.add_parser("doctor", help="check that PostgreSQL and Redis are reachable")
    core = sub.add_parser("core", help="run the gRPC core service")
    core.add_argument("--ready-file", type=Path, help="write the listening address here once serving")

    worker = sub.add_parser("worker", help="run an arq worker of the sync flows (foreground)")
    worker.add_argument("--ready-file", type=Path, help="write the worker's queue here once it has started")
    portal = sub.add_parser("portal", help="run the portal (webhook ingress) with uvicorn")
    portal.add_argument("--host", help="default: the host of CONNECTORS_PORTAL_ADDR (127.0.0.1)")
    portal.add_argument("--port", type=int, help="default: the port of CONNECTORS_PORTAL_ADDR (8000)")
    portal.add_argument("--ready-file", type=Path, help="write the portal's URL here once serving")

    tenant = sub.add_parser("tenant", help="manage tenants through the core")
    tenant.add_argument("action", choices=["create", "list"])
    tenant.add_argument("name", nargs="?", help="(create) the merchant's name")
    tenant.add_argument("--slug", help="(create) URL-safe id; derived from the name by default")

    keys = sub.add_parser("keys", help="key-encryption keys")
    keys.add_argument("action", choices=["generate", "rotate"])
    keys.add_argument("--kid", default=None, help="(generate) the new key's id (default: k<timestamp>)")

    replay = sub.add_parser("replay", help="replay a tenant's dead-lettered records through the core")
    replay.add_argument("--tenant", required=True, help="the tenant's id or slug")
    replay.add_argument("--flow", help="only this flow's records (e.g. fulfilment)")
    replay.add_argument("--since", help="only records created since: an age (30m, 2h, 3d) or an ISO date/time")
    replay.add_argument("--reason", help="why, for the records' journals and the audit log")
    replay.add_argument("--dry-run", action="store_true", help="show what each would send; change nothing")

    sync = sub.add_parser("sync", help="backfill a date window of a flow: estimate the calls, then run it")
    sync.add_argument("--tenant", required=True, help="the tenant's id or slug")
    sync.add_argument("--flow", required=True, help="the flow (e.g. shipstation-books)")
    sync.add_argument("--from", dest="start", required=True, help="ISO date or date-time (UTC unless zoned)")
    sync.add_argument("--to", dest="end", help="ISO date (to its end) or date-time; now if left out")
    sync.add_argument("--estimate-only", action="store_true", help="print the estimate; start nothing")

    from connectors import support_users

    support_users.add_parser(sub)

    sub.add_parser("up", help="migrate and start the platform in the background; print what runs where")
    sub.add_parser("down", help="stop what 'up' started")
    sub.add_parser("status", help="what runs where")

    args = parser.parse_args(argv)
    from connectors import devenv

    devenv.load()
    settings = Settings.from_env()
    if args.command == "sandbox":
        try:
            if args.action == "info":
                return _sandbox_info(settings, args)
            return asyncio.run(_sandbox_run(settings, args))
        except KeyError as exc:
            print(f"connectors sandbox: {exc.args[0]}", file=sys.stderr)
            return 2
    if args.command == "migrate":
        from tenants.migrate import migrate as run_migrate

        try:
            run_migrate(settings, args.revision)
        except ConnectionError as exc:
            print(f"connectors migrate: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.command == "doctor":
        from connectors.doctor import doctor

        return doctor(settings)
    if args.command == "core":
        from connectors.commands import run_core

        return run_core(settings, args.ready_file)
    if args.command == "worker":
        from workers.main import run as run_worker

        run_worker(args.ready_file)
        return 0
    if args.command == "portal":
        from portal.app import serve

        host, _, port = settings.portal_addr.rpartition(":")
        return serve(settings, args.host or host, args.port or int(port), args.ready_file)
    if args.command == "tenant":
        from connectors.commands import tenant_command

        return tenant_command(settings, args.action, args.name, args.slug)
    if args.command == "keys":
        from connectors.commands import keys_command

        return keys_command(settings, args.action, args.kid)
    if args.command == "replay":
        from connectors.replay import replay_command

        return replay_command(settings, args.tenant, args.flow, args.since, args.reason, args.dry_run)
    if args.command == "sync":
        from connectors.sync import sync_command

        return sync_command(settings, args)
    if args.command == "support-user":
        return support_users.support_user_command(settings, args)
    if args.command in ("up", "down", "status"):
        from connectors import platform

        return platform.run(args.command, settings)
    parser.error(f"unknown command {args.command}")
    return 2


def _simulators(only: str | None) -> list[Any]:
    from sandbox import registry

    return [registry.load(name)() for name in registry.names(only)]


def _planned_ports(settings: Settings, sims: list[Any], ephemeral: bool) -> dict[str, dict[str, int]]:
    from sandbox.kit.server import planned_ports

    return {s.name: planned_ports(type(s), settings.sandbox_port_offset, ephemeral) for s in sims}


def _sandbox_info(settings: Settings, args: argparse.Namespace) -> int:
    sims = _simulators(args.only)
    ports = _planned_ports(settings, sims, False)
    for sim in sims:
        sim.bind(ports[sim.name], settings.sandbox_host)
    info = {sim.name: sim.info() for sim in sims}
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        _print_info(info)
    return 0


async def _sandbox_run(settings: Settings, args: argparse.Namespace) -> int:
    from sandbox.kit.server import SandboxServer

    sims = _simulators(args.only)
    server = SandboxServer(sims, settings.sandbox_host)
    try:
        await server.start(_planned_ports(settings, sims, args.ephemeral))
    except OSError as exc:
        print(f"connectors sandbox: {exc}", file=sys.stderr)
        return 2
    info = server.info()
    if args.ready_file:
        tmp = args.ready_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(info, indent=2))
        tmp.replace(args.ready_file)
    _print_info(info)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()
    return 0


def _print_info(info: dict[str, Any]) -> None:
    from connectors.platform import describe_sandboxes

    print(describe_sandboxes(info), flush=True)


if __name__ == "__main__":
    sys.exit(main())
