"""TenantService."""

from __future__ import annotations

from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from connector.v1 import tenant_pb2, tenant_pb2_grpc
from core.services.rpc import rpc
from core.tenancy import Tenants, TenantView, parse_id


def _tenant(view: TenantView) -> tenant_pb2.Tenant:
    created = Timestamp()
    created.FromDatetime(view.created_at)
    return tenant_pb2.Tenant(tenant_id=str(view.id), slug=view.slug, name=view.name, create_time=created)


class TenantService(tenant_pb2_grpc.TenantServiceServicer):
    def __init__(self, tenants: Tenants) -> None:
        self.tenants = tenants

    @rpc
    async def CreateTenant(
        self, request: tenant_pb2.CreateTenantRequest, context: Any
    ) -> tenant_pb2.CreateTenantResponse:
        return tenant_pb2.CreateTenantResponse(tenant=_tenant(await self.tenants.create(request.slug, request.name)))

    @rpc
    async def GetTenant(self, request: tenant_pb2.GetTenantRequest, context: Any) -> tenant_pb2.GetTenantResponse:
        view = await self.tenants.get(parse_id(request.tenant_id, "tenant_id"))
        return tenant_pb2.GetTenantResponse(tenant=_tenant(view))

    @rpc
    async def ListTenants(self, request: tenant_pb2.ListTenantsRequest, context: Any) -> tenant_pb2.ListTenantsResponse:
        views, token = await self.tenants.list(request.query, request.page_size, request.page_token)
        return tenant_pb2.ListTenantsResponse(tenants=[_tenant(v) for v in views], next_page_token=token)

    @rpc
    async def DeleteTenant(
        self, request: tenant_pb2.DeleteTenantRequest, context: Any
    ) -> tenant_pb2.DeleteTenantResponse:
        await self.tenants.delete(parse_id(request.tenant_id, "tenant_id"))
        return tenant_pb2.DeleteTenantResponse()
