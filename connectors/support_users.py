"""``connectors support-user create EMAIL --name NAME``: a platform support staff account for the portal.

Support staff sign in to the portal like merchants but belong to no tenant: they use the support console,
where every look at a tenant's data asks for a reason and is audited. The password is asked twice at the
terminal (``getpass``, never echoed) or read from the first line of standard input with ``--password-stdin``
(for scripts: ``pass show support/asha | connectors support-user create ...``); a weak one is refused with the
reason. The account is written to the application database (``CONNECTORS_DATABASE_URL``) as the app role.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable
from typing import TextIO

from connectors.settings import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``support-user`` subcommand's arguments."""
    parser = sub.add_parser("support-user", help="create a platform support staff account for the portal")
    parser.add_argument("action", choices=["create"])
    parser.add_argument("email", help="the support person's email address (their login)")
    parser.add_argument("--name", required=True, help="their name, as merchants see it in the audit log")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of standard input"
    )


def read_password(
    from_stdin: bool, stdin: TextIO | None = None, prompt: Callable[[str], str] = getpass.getpass
) -> str | None:
    """The password typed twice (None when the two differ), or the first line of ``stdin``."""
    if from_stdin:
        return (stdin or sys.stdin).readline().rstrip("\r\n")
    first = prompt("Password: ")
    if prompt("Password again: ") != first:
        return None
    return first


async def create(settings: Settings, email: str, name: str, password: str) -> str:
    """The support account's id; raises ``portal.web.errors.Problem`` for bad input or a taken email."""
    from portal.accounts import service
    from tenants.db import make_app_engine, make_sessions

    email = service.check_email(email)
    name = service.check_text(name, "name")
    service.check_password(password, email)
    engine = make_app_engine(settings)
    try:
        user = await service.create_user(make_sessions(engine), email, name, password, is_support=True)
    finally:
        await engine.dispose()
    return str(user.id)


def support_user_command(
    settings: Settings,
    args: argparse.Namespace,
    *,
    stdin: TextIO | None = None,
    prompt: Callable[[str], str] = getpass.getpass,
) -> int:
    """0 once created; 2 for a refused password, email or name (the reason printed), 1 for a taken email or an
    unreachable database."""
    from portal.web.errors import Problem

    password = read_password(args.password_stdin, stdin, prompt)
    if password is None:
        print("connectors support-user: the two passwords differ; nothing was created", file=sys.stderr)
        return 2
    try:
        user_id = asyncio.run(create(settings, args.email, args.name, password))
    except Problem as problem:
        print(f"connectors support-user: {problem.message}", file=sys.stderr)
        return 1 if problem.status == 409 else 2
    except OSError as exc:
        print(f"connectors support-user: the database is unreachable: {exc}", file=sys.stderr)
        return 1
    print(f"support user {args.email.strip().lower()} created ({user_id}); they sign in at the portal's /login")
    return 0
