"""Generate the Python stubs of ``connector.v1`` (messages, gRPC services, mypy stubs) from ``proto/``.

python proto/generate.py            write them to proto/gen/
python proto/generate.py --check    fail if proto/gen/ is not what the .proto files generate (CI)
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

PROTO = Path(__file__).resolve().parent
OUT = PROTO / "gen"


def generate(out: Path) -> None:
    sources = sorted(str(p.relative_to(PROTO)) for p in (PROTO / "connector").rglob("*.proto"))
    include = str(resources.files("grpc_tools") / "_proto")
    out.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent  # protoc-gen-mypy lives beside the interpreter in the venv
    args = [
        "protoc",
        f"--plugin=protoc-gen-mypy={bin_dir / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={bin_dir / 'protoc-gen-mypy_grpc'}",
        f"-I{PROTO}",
        f"-I{include}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        f"--mypy_out={out}",
        f"--mypy_grpc_out={out}",
        *sources,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for package in {p.parent for p in out.rglob("*_pb2.py")} | {out / "connector"}:
        init = package / "__init__.py"
        init.write_text('"""Generated from proto/ by proto/generate.py; do not edit."""\n')
    (out / "connector" / "py.typed").write_text("")


def stale(out: Path) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(fresh)
        names = {p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file()}
        names |= {p.relative_to(out) for p in out.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
        return sorted(
            str(n)
            for n in names
            if not (fresh / n).exists() or not (out / n).exists() or not filecmp.cmp(fresh / n, out / n, shallow=False)
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    if parser.parse_args().check:
        differ = stale(OUT)
        if differ:
            print("proto/gen is stale; run 'make proto'. Differs: " + ", ".join(differ), file=sys.stderr)
            return 1
        print("proto/gen is current")
        return 0
    generate(OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
