"""``make bench``: run every benchmark and print its figures."""

from __future__ import annotations

import asyncio

from bench import core_throughput, sandbox_overhead


def main() -> None:
    asyncio.run(sandbox_overhead.main())
    asyncio.run(core_throughput.main())


if __name__ == "__main__":
    main()
