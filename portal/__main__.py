"""``python -m portal [--host H] [--port P] [--ready-file F]``: the portal with the environment's settings
(what ``connectors portal`` runs)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from connectors.settings import Settings
from portal.app import DEFAULT_HOST, DEFAULT_PORT, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal", description="the web portal and webhook ingress")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--ready-file", type=Path, help="write the portal's URL here once it serves")
    args = parser.parse_args(argv)
    return serve(Settings.from_env(), args.host, args.port, args.ready_file)


if __name__ == "__main__":
    sys.exit(main())
