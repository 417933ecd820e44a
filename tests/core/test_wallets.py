"""WalletService as a tenant's admin, bot and website meet it: balances, adjustments, usage charges,
history. Every test that moves money ends with the ledger invariants."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from google.protobuf import timestamp_pb2

from sdk import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from sdk.billinghub.v1 import catalog_service_pb2 as catalog_pb
from sdk.billinghub.v1 import tenant_pb2, wallet_pb2
from sdk.billinghub.v1 import wallet_service_pb2 as pb
from tests.hub import Hub
from tests.money import CREDIT, DEBIT, assert_ledger_ok, balance, fund, money, new_user


async def test_new_tenant_has_stars_and_tokens_and_can_add_assets(hub: Hub) -> None:
    shop = await hub.new_tenant("Assets")
    listed = await shop.admin.catalog.ListAssets(catalog_pb.ListAssetsRequest())
    assert [(a.code, a.scale) for a in listed.assets] == [("TOKEN", 0), ("XTR", 0)]
    rub = await shop.admin.catalog.CreateAsset(catalog_pb.CreateAssetRequest(code="rub"))
    assert (rub.asset.code, rub.asset.scale) == ("RUB", 2)
    gems = await shop.admin.catalog.CreateAsset(
        catalog_pb.CreateAssetRequest(code="GEMS", scale=0, display_name="Gems")
    )
    assert gems.asset.display_name == "Gems"
    with pytest.raises(InvalidArgument) as caught:
        await shop.admin.catalog.CreateAsset(catalog_pb.CreateAssetRequest(code="CREDITS"))
    assert caught.value.field_violations[0].field == "scale"
    with pytest.raises(InvalidArgument):
        await shop.admin.catalog.CreateAsset(catalog_pb.CreateAssetRequest(code="no way", scale=2))
    with pytest.raises(AlreadyExists) as exists:
        await shop.admin.catalog.CreateAsset(catalog_pb.CreateAssetRequest(code="RUB"))
    assert exists.value.reason == "ASSET_EXISTS"
    got = await shop.admin.catalog.GetAsset(catalog_pb.GetAssetRequest(code="gems"))
    assert got.asset.code == "GEMS"


async def test_adjustments_credit_and_debit_with_audit(hub: Hub) -> None:
    shop = await hub.new_tenant("Adjust")
    user = await new_user(shop)
    credited = await shop.admin.wallet.AdjustBalance(
        pb.AdjustBalanceRequest(user_id=user, amount=money(100), direction=CREDIT, reason="gift", actor="tg:1")
    )
    assert credited.transfer.kind == wallet_pb2.TRANSFER_KIND_ADJUSTMENT
    assert credited.transfer.credit.user_id == user
    assert credited.transfer.debit.system == "adjustments"
    assert credited.transfer.credit_balance_after == 100
    assert credited.balance.available.amount_minor == 100
    debited = await shop.admin.wallet.AdjustBalance(
        pb.AdjustBalanceRequest(user_id=user, amount=money(30), direction=DEBIT, reason="abuse", actor="tg:1")
    )
    assert debited.balance.posted.amount_minor == 70
    with pytest.raises(FailedPrecondition) as caught:
        await shop.admin.wallet.AdjustBalance(
            pb.AdjustBalanceRequest(user_id=user, amount=money(71), direction=DEBIT, reason="too much", actor="tg:1")
        )
    assert caught.value.reason == "INSUFFICIENT_FUNDS"
    assert (await balance(shop.admin, user)).posted.amount_minor == 70
    await assert_ledger_ok(shop)


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"amount": money(0), "direction": CREDIT, "reason": "r", "actor": "a"}, {"amount.amount_minor"}),
        ({"amount": money(-5), "direction": CREDIT, "reason": "r", "actor": "a"}, {"amount.amount_minor"}),
        ({"direction": CREDIT, "reason": "r", "actor": "a"}, {"amount"}),
        ({"amount": money(5), "reason": "r", "actor": "a"}, {"direction"}),
        ({"amount": money(5), "direction": CREDIT, "actor": "a"}, {"reason"}),
        ({"amount": money(5), "direction": CREDIT, "reason": "r"}, {"actor"}),
        ({"amount": money(5, "bad code"), "direction": CREDIT, "reason": "r", "actor": "a"}, {"amount.asset"}),
    ],
)
async def test_invalid_adjustments_change_nothing(hub: Hub, fields: dict[str, object], bad: set[str]) -> None:
    shop = await hub.new_tenant("Bad adjust")
    user = await new_user(shop)
    with pytest.raises(InvalidArgument) as caught:
        await shop.admin.wallet.AdjustBalance(pb.AdjustBalanceRequest(user_id=user, **fields))  # type: ignore[arg-type]
    assert {v.field for v in caught.value.field_violations} == bad
    report = await assert_ledger_ok(shop)
    assert report.transfers_checked == 0


async def test_unknown_user_and_asset_are_not_found(hub: Hub) -> None:
    shop = await hub.new_tenant("Unknowns")
    user = await new_user(shop)
    with pytest.raises(NotFound) as caught:
        await shop.admin.wallet.AdjustBalance(
            pb.AdjustBalanceRequest(user_id=str(uuid.uuid4()), amount=money(1), direction=CREDIT, reason="r", actor="a")
        )
    assert caught.value.reason == "USER_NOT_FOUND"
    with pytest.raises(NotFound) as caught:
        await shop.admin.wallet.ChargeUsage(pb.ChargeUsageRequest(user_id=user, amount=money(1, "RUB")))
    assert caught.value.reason == "ASSET_NOT_FOUND"
    with pytest.raises(NotFound):
        await shop.admin.wallet.ChargeUsage(pb.ChargeUsageRequest(user_id=str(uuid.uuid4()), amount=money(1)))
    with pytest.raises(NotFound):
        await shop.admin.wallet.GetBalances(pb.GetBalancesRequest(user_id=user, assets=["USD"]))


async def test_usage_charge_spends_and_fails_cleanly_when_short(hub: Hub) -> None:
    shop = await hub.new_tenant("Images")
    user = await new_user(shop)
    await fund(shop, user, 10)
    charged = await shop.admin.wallet.ChargeUsage(
        pb.ChargeUsageRequest(user_id=user, amount=money(3), reference="image:sdxl")
    )
    transfer = charged.transfer
    assert transfer.kind == wallet_pb2.TRANSFER_KIND_USAGE
    assert (transfer.debit.user_id, transfer.credit.system) == (user, "revenue")
    assert transfer.debit_balance_after == 7
    assert transfer.reference == "image:sdxl"
    with pytest.raises(FailedPrecondition) as caught:
        await shop.admin.wallet.ChargeUsage(pb.ChargeUsageRequest(user_id=user, amount=money(8)))
    assert caught.value.reason == "INSUFFICIENT_FUNDS"
    assert caught.value.metadata == {"asset": "TOKEN", "needed_minor": "8"}
    assert (await balance(shop.admin, user)).posted.amount_minor == 7
    report = await assert_ledger_ok(shop)
    assert report.transfers_checked == 2


async def test_a_user_without_a_wallet_is_short_not_missing(hub: Hub) -> None:
    shop = await hub.new_tenant("Empty")
    user = await new_user(shop)
    with pytest.raises(FailedPrecondition):
        await shop.admin.wallet.ChargeUsage(pb.ChargeUsageRequest(user_id=user, amount=money(1)))
    got = await shop.admin.wallet.GetBalances(pb.GetBalancesRequest(user_id=user))
    assert [(b.asset, b.posted.amount_minor, b.available.amount_minor) for b in got.balances] == [
        ("TOKEN", 0, 0),
        ("XTR", 0, 0),
    ]


async def test_replayed_charge_is_charged_once_and_returns_the_first_response(hub: Hub) -> None:
    shop = await hub.new_tenant("Replays")
    user = await new_user(shop)
    await fund(shop, user, 5)
    request = pb.ChargeUsageRequest(request_id="img-42", user_id=user, amount=money(5), reference="image")
    first = await shop.admin.wallet.ChargeUsage(request)
    # The wallet is now empty: a replay must still answer with the first response, not INSUFFICIENT_FUNDS.
    again = await shop.admin.wallet.ChargeUsage(request)
    assert again == first
    with pytest.raises(InvalidArgument) as caught:
        await shop.admin.wallet.ChargeUsage(
            pb.ChargeUsageRequest(request_id="img-42", user_id=user, amount=money(4), reference="image")
        )
    assert caught.value.reason == "IDEMPOTENCY_KEY_REUSED"
    await fund(shop, user, 10)
    third = await shop.admin.wallet.ChargeUsage(request)
    assert third == first
    assert (await balance(shop.admin, user)).posted.amount_minor == 10
    await assert_ledger_ok(shop)


async def test_history_filters_and_pages(hub: Hub) -> None:
    shop = await hub.new_tenant("History")
    alice, bob = await new_user(shop, "a"), await new_user(shop, "b")
    await fund(shop, alice, 100)
    await fund(shop, bob, 100)
    for n in range(5):
        await shop.admin.wallet.ChargeUsage(
            pb.ChargeUsageRequest(user_id=alice, amount=money(n + 1), reference=f"r{n}")
        )
    pages: list[str] = []
    token = ""
    while True:
        page = await shop.admin.wallet.ListTransfers(
            pb.ListTransfersRequest(user_id=alice, page_size=2, page_token=token)
        )
        pages += [t.reference for t in page.transfers]
        token = page.next_page_token
        if not token:
            break
    assert pages == ["r4", "r3", "r2", "r1", "r0", ""]
    usage = await shop.admin.wallet.ListTransfers(
        pb.ListTransfersRequest(user_id=alice, kinds=[wallet_pb2.TRANSFER_KIND_USAGE])
    )
    assert len(usage.transfers) == 5
    everyone = await shop.admin.wallet.ListTransfers(pb.ListTransfersRequest(page_size=500))
    assert len(everyone.transfers) == 7
    later = timestamp_pb2.Timestamp()
    later.FromDatetime(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))
    future = await shop.admin.wallet.ListTransfers(pb.ListTransfersRequest(start_time=later))
    assert list(future.transfers) == []
    with pytest.raises(InvalidArgument):
        await shop.admin.wallet.ListTransfers(pb.ListTransfersRequest(start_time=later, end_time=later))
    with pytest.raises(InvalidArgument):
        await shop.admin.wallet.ListTransfers(pb.ListTransfersRequest(page_token="nope"))
    await assert_ledger_ok(shop)


async def test_partners_charge_and_read_one_user_but_cannot_adjust_or_verify(hub: Hub) -> None:
    shop = await hub.new_tenant("Partner")
    user = await new_user(shop)
    await fund(shop, user, 10)
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id, "site"))
    await partner.wallet.ChargeUsage(pb.ChargeUsageRequest(user_id=user, amount=money(1)))
    assert (await balance(partner, user)).posted.amount_minor == 9
    assert len((await partner.wallet.ListTransfers(pb.ListTransfersRequest(user_id=user))).transfers) == 2
    with pytest.raises(InvalidArgument):
        await partner.wallet.ListTransfers(pb.ListTransfersRequest())
    with pytest.raises(PermissionDenied):
        await partner.wallet.AdjustBalance(
            pb.AdjustBalanceRequest(user_id=user, amount=money(1), direction=CREDIT, reason="r", actor="a")
        )
    with pytest.raises(PermissionDenied):
        await partner.wallet.VerifyLedger(pb.VerifyLedgerRequest())
    await assert_ledger_ok(shop)


async def test_other_tenants_wallets_are_invisible(hub: Hub) -> None:
    alpha, beta = await hub.new_tenant("Alpha"), await hub.new_tenant("Beta")
    victim = await new_user(beta)
    await fund(beta, victim, 50)
    with pytest.raises(NotFound):
        await alpha.admin.wallet.GetBalances(pb.GetBalancesRequest(user_id=victim))
    with pytest.raises(NotFound):
        await alpha.admin.wallet.ChargeUsage(pb.ChargeUsageRequest(user_id=victim, amount=money(1)))
    with pytest.raises(NotFound):
        await alpha.admin.wallet.ListTransfers(pb.ListTransfersRequest(user_id=victim))
    assert list((await alpha.admin.wallet.ListTransfers(pb.ListTransfersRequest())).transfers) == []
    assert (await balance(beta.admin, victim)).posted.amount_minor == 50
    await assert_ledger_ok(alpha)
    await assert_ledger_ok(beta)


async def test_export_streams_every_transfer_oldest_first(hub: Hub) -> None:
    shop = await hub.new_tenant("Export")
    user = await new_user(shop)
    await fund(shop, user, 2000)
    for n in range(520):
        await shop.admin.wallet.ChargeUsage(pb.ChargeUsageRequest(user_id=user, amount=money(1), reference=str(n)))
    rows = []
    chunks = 0
    async for chunk in shop.admin.wallet.ExportTransfers(pb.ExportTransfersRequest(asset="TOKEN")):
        chunks += 1
        rows += list(chunk.transfers)
    assert len(rows) == 521
    assert chunks == 2
    # oldest first by id: an id is its millisecond then random bits, so two charges of one
    # millisecond may stand in either order (the funding came a millisecond and more before them)
    assert rows[0].reference != "0" and {t.reference for t in rows[1:]} == {str(n) for n in range(520)}
    assert [t.id for t in rows] == sorted(t.id for t in rows)
    await assert_ledger_ok(shop)
