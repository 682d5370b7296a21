"""The connector.v1 contract follows Buf's conventions and its generated stubs are current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from google.protobuf.descriptor import FileDescriptor

from connector.v1 import (
    audit_pb2,
    budget_pb2,
    common_pb2,
    connection_pb2,
    record_pb2,
    settings_pb2,
    sync_pb2,
    tenant_pb2,
    token_pb2,
    webhook_pb2,
)

ROOT = Path(__file__).resolve().parents[2]
FILES: list[FileDescriptor] = [
    m.DESCRIPTOR
    for m in (
        audit_pb2,
        budget_pb2,
        common_pb2,
        connection_pb2,
        record_pb2,
        settings_pb2,
        sync_pb2,
        tenant_pb2,
        token_pb2,
        webhook_pb2,
    )
]


def test_generated_stubs_are_what_the_proto_files_generate() -> None:
    result = subprocess.run([sys.executable, "proto/generate.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_services_end_in_service_and_every_rpc_has_its_own_request_and_response() -> None:
    seen: set[str] = set()
    for file in FILES:
        assert file.package == "connector.v1"
        for service in file.services_by_name.values():
            assert service.name.endswith("Service")
            for method in service.methods:
                assert method.input_type.name == f"{method.name}Request", method.full_name
                assert method.output_type.name == f"{method.name}Response", method.full_name
                assert method.input_type.name not in seen
                seen.add(method.input_type.name)


def test_every_enum_starts_with_an_unspecified_zero() -> None:
    enums = [e for f in FILES for e in f.enum_types_by_name.values()]
    enums += [e for f in FILES for m in f.message_types_by_name.values() for e in m.enum_types]
    assert enums
    for enum in enums:
        zero = enum.values_by_number[0].name
        prefix = "".join("_" + c if c.isupper() else c.upper() for c in enum.name).lstrip("_")
        assert zero == f"{prefix}_UNSPECIFIED", enum.full_name
