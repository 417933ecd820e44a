"""Helpers of the order tests."""

from __future__ import annotations

from sdk.billinghub.v1 import order_pb2, order_service_pb2
from tests.hub import TenantHandle


async def create_order(shop: TenantHandle, user: str, package: str, **fields: object) -> order_pb2.Order:
    request = order_service_pb2.CreateOrderRequest(user_id=user, package_id=package, **fields)  # type: ignore[arg-type]
    return (await shop.admin.orders.CreateOrder(request)).order


async def pay(shop: TenantHandle, order: str) -> order_service_pb2.PayOrderFromWalletResponse:
    return await shop.admin.orders.PayOrderFromWallet(order_service_pb2.PayOrderFromWalletRequest(order_id=order))
