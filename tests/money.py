"""Helpers of the money tests: funded users, and the ledger invariants checked after each test."""

from __future__ import annotations

from sdk import BillingHubClient
from sdk.billinghub.v1 import common_pb2, wallet_pb2
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from sdk.billinghub.v1 import wallet_service_pb2 as pb
from tests.hub import TenantHandle

CREDIT = pb.TRANSFER_DIRECTION_CREDIT
DEBIT = pb.TRANSFER_DIRECTION_DEBIT


def money(amount: int, asset: str = "TOKEN") -> common_pb2.Money:
    return common_pb2.Money(asset=asset, amount_minor=amount)


async def new_user(handle: TenantHandle, external_id: str = "1") -> str:
    request = users_pb.RegisterUserRequest(platform=common_pb2.PLATFORM_TELEGRAM, external_id=external_id)
    return str((await handle.admin.users.RegisterUser(request)).user.id)


async def fund(handle: TenantHandle, user_id: str, amount: int, asset: str = "TOKEN") -> None:
    await handle.admin.wallet.AdjustBalance(
        pb.AdjustBalanceRequest(
            user_id=user_id, amount=money(amount, asset), direction=CREDIT, reason="test funding", actor="tests"
        )
    )


async def balance(client: BillingHubClient, user_id: str, asset: str = "TOKEN") -> wallet_pb2.Balance:
    response = await client.wallet.GetBalances(pb.GetBalancesRequest(user_id=user_id, assets=[asset]))
    return response.balances[0]


async def assert_ledger_ok(handle: TenantHandle) -> pb.VerifyLedgerResponse:
    """The invariants every test that moves money ends with."""
    report = await handle.admin.wallet.VerifyLedger(pb.VerifyLedgerRequest())
    assert report.ok, list(report.drifts)
    return report
