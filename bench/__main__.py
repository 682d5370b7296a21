"""``make bench``: run every benchmark and print its figures."""

from __future__ import annotations

import asyncio

from bench import sandbox_overhead


def main() -> None:
    asyncio.run(sandbox_overhead.main())


if __name__ == "__main__":
    main()
