"""TenantService over real gRPC: create, get, list, delete; service tokens; health; reflection; rich errors."""

from __future__ import annotations

import uuid

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status

from connector.v1 import tenant_pb2, tenant_pb2_grpc
from tests.core.conftest import CoreHandle
from tests.core.test_contract import FILES


def _slug() -> str:
    return f"shop-{uuid.uuid4().hex[:8]}"


async def test_a_tenant_is_created_read_listed_and_deleted(core: CoreHandle) -> None:
    stub = tenant_pb2_grpc.TenantServiceStub(core.channel)
    slug = _slug()
    created = (
        await stub.CreateTenant(tenant_pb2.CreateTenantRequest(slug=slug, name="Demo Traders"), metadata=core.metadata)
    ).tenant
    assert created.slug == slug and uuid.UUID(created.tenant_id)
    got = (
        await stub.GetTenant(tenant_pb2.GetTenantRequest(tenant_id=created.tenant_id), metadata=core.metadata)
    ).tenant
    assert got == created
    listed = await stub.ListTenants(tenant_pb2.ListTenantsRequest(query=slug), metadata=core.metadata)
    assert [t.slug for t in listed.tenants] == [slug]
    await stub.DeleteTenant(tenant_pb2.DeleteTenantRequest(tenant_id=created.tenant_id), metadata=core.metadata)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetTenant(tenant_pb2.GetTenantRequest(tenant_id=created.tenant_id), metadata=core.metadata)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_listing_pages_through_every_tenant(core: CoreHandle) -> None:
    stub = tenant_pb2_grpc.TenantServiceStub(core.channel)
    marker = uuid.uuid4().hex[:6]
    for i in range(5):
        await stub.CreateTenant(
            tenant_pb2.CreateTenantRequest(slug=f"p{marker}-{i}", name=f"Shop {i}"), metadata=core.metadata
        )
    seen, token = [], ""
    while True:
        page = await stub.ListTenants(
            tenant_pb2.ListTenantsRequest(query=f"p{marker}", page_size=2, page_token=token), metadata=core.metadata
        )
        seen += [t.slug for t in page.tenants]
        token = page.next_page_token
        if not token:
            break
    assert seen == [f"p{marker}-{i}" for i in range(5)]


async def test_bad_input_names_each_field_in_a_bad_request(core: CoreHandle) -> None:
    stub = tenant_pb2_grpc.TenantServiceStub(core.channel)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.CreateTenant(tenant_pb2.CreateTenantRequest(slug="Not A Slug!", name=" "), metadata=core.metadata)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(err.value)
    assert status is not None
    bad = error_details_pb2.BadRequest()
    assert any(d.Unpack(bad) for d in status.details)
    assert {v.field for v in bad.field_violations} == {"slug", "name"}
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetTenant(tenant_pb2.GetTenantRequest(tenant_id="nope"), metadata=core.metadata)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "tenant_id" in (err.value.details() or "")


async def test_a_duplicate_slug_is_refused(core: CoreHandle) -> None:
    stub = tenant_pb2_grpc.TenantServiceStub(core.channel)
    slug = _slug()
    await stub.CreateTenant(tenant_pb2.CreateTenantRequest(slug=slug, name="A"), metadata=core.metadata)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.CreateTenant(tenant_pb2.CreateTenantRequest(slug=slug, name="B"), metadata=core.metadata)
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS


@pytest.mark.parametrize(
    "metadata", [(), (("authorization", "Bearer wrong-token-wrong-token"),), (("authorization", "w" * 32),)]
)
async def test_calls_without_a_valid_service_token_are_refused(
    core: CoreHandle, metadata: tuple[tuple[str, str], ...]
) -> None:
    stub = tenant_pb2_grpc.TenantServiceStub(core.channel)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.ListTenants(tenant_pb2.ListTenantsRequest(), metadata=metadata)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_every_rpc_of_every_service_refuses_a_call_without_a_valid_token(core: CoreHandle) -> None:
    """Each method the protos declare, called with an empty request and a wrong token: UNAUTHENTICATED before
    the request is looked at (a method left unguarded would answer INVALID_ARGUMENT, or worse)."""
    checked = []
    for file in FILES:  # every proto file of connector.v1
        for service in file.services_by_name.values():
            for method in service.methods:
                call = core.channel.unary_unary(
                    f"/{service.full_name}/{method.name}", request_serializer=bytes, response_deserializer=bytes
                )
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    await call(b"", metadata=(("authorization", "Bearer " + "x" * 32),))
                assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED, f"{service.name}.{method.name}"
                checked.append(method.name)
    assert len(checked) >= 30 and "AcquireBudget" in checked and "GetWebhookVerifier" in checked


async def test_health_and_reflection_answer_without_a_token(core: CoreHandle) -> None:
    health = health_pb2_grpc.HealthStub(core.channel)
    answer = await health.Check(health_pb2.HealthCheckRequest(service="connector.v1.TenantService"))
    assert answer.status == health_pb2.HealthCheckResponse.SERVING
    stub = reflection_pb2_grpc.ServerReflectionStub(core.channel)
    names: list[str] = []
    async for response in stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")])):
        names = [s.name for s in response.list_services_response.service]
    assert "connector.v1.TenantService" in names and "grpc.health.v1.Health" in names
