"""A gateway key has end-user rights only. A staff call from a bot names the acting admin
(`x-on-behalf-of: telegram:<id>`): the core checks that this person is one of the tenant's bot
admins holding the call's permission, and the audit entry names them. A leaked gateway key can no
longer adjust balances on its own."""

from __future__ import annotations

import pytest
from google.protobuf import field_mask_pb2

from core_server.api.access import GATEWAY_OWN_CALLS, STAFF_PERMISSIONS, rule_of
from core_server.api.server import _services
from sdk import InvalidArgument, PermissionDenied
from sdk.billinghub.v1 import audit_service_pb2 as audit_pb
from sdk.billinghub.v1 import common_pb2, tenant_pb2
from sdk.billinghub.v1 import report_service_pb2 as report_pb
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from sdk.billinghub.v1 import wallet_service_pb2 as wallet_pb
from tests.bots_core.bots import P, admin, gateway_of, set_admins
from tests.hub import Hub, TenantHandle
from tests.money import CREDIT, assert_ledger_ok, balance, fund, money, new_user

ADJUSTER, VIEWER, OUTSIDER = 501, 502, 999


def adjustment(user_id: str, amount: int = 40) -> wallet_pb.AdjustBalanceRequest:
    return wallet_pb.AdjustBalanceRequest(
        user_id=user_id, amount=money(amount), direction=CREDIT, reason="goodwill", actor="bot menu"
    )


async def staffed_shop(hub: Hub, name: str) -> TenantHandle:
    shop = await hub.new_tenant(name)
    await set_admins(
        shop,
        [
            admin(ADJUSTER, P.ADMIN_PERMISSION_ADJUST, P.ADMIN_PERMISSION_USERS, name="Ann"),
            admin(VIEWER, P.ADMIN_PERMISSION_STATS, name="Vic"),
        ],
    )
    return shop


async def test_end_user_calls_need_no_admin(hub: Hub) -> None:
    shop = await staffed_shop(hub, "End users")
    gateway = await gateway_of(hub, shop)
    registered = await gateway.users.RegisterUser(
        users_pb.RegisterUserRequest(platform=common_pb2.PLATFORM_TELEGRAM, external_id="77", username="buyer")
    )
    user = registered.user.id
    assert (await balance(gateway, user)).posted.amount_minor == 0
    renamed = await gateway.users.UpdateUser(
        users_pb.UpdateUserRequest(
            user_id=user, first_name="Bo", update_mask=field_mask_pb2.FieldMask(paths=["first_name"])
        )
    )
    assert renamed.user.first_name == "Bo"


async def test_a_staff_call_without_an_admin_is_refused_and_nothing_changes(hub: Hub) -> None:
    shop = await staffed_shop(hub, "No admin")
    user = await new_user(shop)
    gateway = await gateway_of(hub, shop)
    with pytest.raises(PermissionDenied) as caught:
        await gateway.wallet.AdjustBalance(adjustment(user))
    assert caught.value.reason == "ADMIN_REQUIRED"
    assert (await balance(shop.admin, user)).posted.amount_minor == 0
    with pytest.raises(PermissionDenied):
        await gateway.reports.GetTenantStats(report_pb.GetTenantStatsRequest())


async def test_an_admin_without_the_permission_is_refused_and_nothing_changes(hub: Hub) -> None:
    shop = await staffed_shop(hub, "Viewer only")
    user = await new_user(shop)
    gateway = await gateway_of(hub, shop)
    with pytest.raises(PermissionDenied) as caught:
        await gateway.on_behalf_of(VIEWER).wallet.AdjustBalance(adjustment(user))
    assert caught.value.reason == "ADMIN_PERMISSION_MISSING"
    assert caught.value.metadata["permission"] == "adjust"
    assert (await balance(shop.admin, user)).posted.amount_minor == 0
    stats = await gateway.on_behalf_of(VIEWER).reports.GetTenantStats(report_pb.GetTenantStatsRequest())
    assert stats is not None  # the viewer's own permission works


async def test_a_permitted_admin_acts_and_the_audit_names_them(hub: Hub) -> None:
    shop = await staffed_shop(hub, "Permitted")
    user = await new_user(shop)
    gateway = await gateway_of(hub, shop)
    await gateway.on_behalf_of(ADJUSTER).wallet.AdjustBalance(adjustment(user, 40))
    assert (await balance(shop.admin, user)).posted.amount_minor == 40
    [entry] = (
        await shop.admin.audit.ListAuditEntries(audit_pb.ListAuditEntriesRequest(action="balance.adjusted"))
    ).audit_entries
    assert entry.actor.startswith(f"bot menu via telegram:{ADJUSTER} via gateway:")
    await assert_ledger_ok(shop)


async def test_a_forged_or_foreign_admin_is_refused(hub: Hub) -> None:
    shop, other = await staffed_shop(hub, "Forged"), await staffed_shop(hub, "Foreign")
    await set_admins(other, [admin(OUTSIDER, *range(1, 10))])
    user = await new_user(shop)
    gateway = await gateway_of(hub, shop)
    for forged in (OUTSIDER, 123456789):  # another tenant's admin; nobody's
        with pytest.raises(PermissionDenied) as caught:
            await gateway.on_behalf_of(forged).wallet.AdjustBalance(adjustment(user))
        assert caught.value.reason == "ADMIN_REQUIRED"
    for malformed in ("telegram:abc", "501", "telegram:-501", "user:501", "telegram:99999999999999999999"):
        with pytest.raises(InvalidArgument) as bad:
            await gateway.wallet.AdjustBalance(adjustment(user), metadata=(("x-on-behalf-of", malformed),))
        assert [v.field for v in bad.value.field_violations] == ["x-on-behalf-of"]
    assert (await balance(shop.admin, user)).posted.amount_minor == 0


async def test_removing_an_admin_takes_effect_on_the_next_call(hub: Hub) -> None:
    shop = await staffed_shop(hub, "Removed")
    user = await new_user(shop)
    gateway = await gateway_of(hub, shop)
    await gateway.on_behalf_of(ADJUSTER).wallet.AdjustBalance(adjustment(user, 5))
    await set_admins(shop, [admin(VIEWER, P.ADMIN_PERMISSION_STATS)])
    with pytest.raises(PermissionDenied) as caught:
        await gateway.on_behalf_of(ADJUSTER).wallet.AdjustBalance(adjustment(user, 5))
    assert caught.value.reason == "ADMIN_REQUIRED"
    assert (await balance(shop.admin, user)).posted.amount_minor == 5


async def test_blocking_a_user_from_a_bot_needs_the_users_permission(hub: Hub) -> None:
    shop = await staffed_shop(hub, "Blocking")
    user = await new_user(shop)
    gateway = await gateway_of(hub, shop)
    block = users_pb.UpdateUserRequest(
        user_id=user, blocked=True, update_mask=field_mask_pb2.FieldMask(paths=["blocked"])
    )
    with pytest.raises(PermissionDenied) as caught:
        await gateway.users.UpdateUser(block)
    assert caught.value.reason == "ADMIN_REQUIRED"
    with pytest.raises(PermissionDenied) as caught:
        await gateway.on_behalf_of(VIEWER).users.UpdateUser(block)
    assert caught.value.reason == "ADMIN_PERMISSION_MISSING"
    assert not (await shop.admin.users.GetUser(users_pb.GetUserRequest(user_id=user))).user.blocked
    blocked = await gateway.on_behalf_of(ADJUSTER).users.UpdateUser(block)
    assert blocked.user.blocked


async def test_a_platform_wide_gateway_acts_for_the_admins_of_the_tenant_it_names(hub: Hub) -> None:
    shop, other = await staffed_shop(hub, "Named"), await hub.new_tenant("Unstaffed")
    user = await new_user(shop)
    bots = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, name="bots"))
    await bots.for_tenant(shop.id).on_behalf_of(ADJUSTER).wallet.AdjustBalance(adjustment(user, 3))
    assert (await balance(shop.admin, user)).posted.amount_minor == 3
    other_user = await new_user(other)
    with pytest.raises(PermissionDenied):
        await bots.for_tenant(other.id).on_behalf_of(ADJUSTER).wallet.AdjustBalance(adjustment(other_user, 3))
    assert (await balance(other.admin, other_user)).posted.amount_minor == 0


async def test_the_export_streams_only_for_an_admin_with_the_export_permission(hub: Hub) -> None:
    shop = await staffed_shop(hub, "Exported")
    await fund(shop, await new_user(shop), 12)
    await set_admins(shop, [admin(ADJUSTER, P.ADMIN_PERMISSION_EXPORT), admin(VIEWER, P.ADMIN_PERMISSION_STATS)])
    gateway = await gateway_of(hub, shop)
    for refused in (gateway, gateway.on_behalf_of(VIEWER)):
        with pytest.raises(PermissionDenied):
            async for _ in refused.wallet.ExportTransfers(wallet_pb.ExportTransfersRequest(asset="TOKEN")):
                pass
    exporter = gateway.on_behalf_of(ADJUSTER)
    batches = [b async for b in exporter.wallet.ExportTransfers(wallet_pb.ExportTransfersRequest(asset="TOKEN"))]
    assert [t.amount.amount_minor for b in batches for t in b.transfers] == [12]


async def test_every_entry_of_the_permission_tables_is_a_method_with_a_rule(hub: Hub) -> None:
    """A typo in a table would name nothing (and the import check only catches the real method
    missing): every entry is a servicer method of ours whose rule carries its permission."""
    rules = {
        f"{type(servicer).__name__}.{name}": rule_of(getattr(servicer, name))
        for _descriptor, _add, servicer in _services(hub.deps)
        for name in dir(servicer)
        if name[:1].isupper() and rule_of(getattr(servicer, name)) is not None
    }
    assert set(STAFF_PERMISSIONS) <= set(rules), sorted(set(STAFF_PERMISSIONS) - set(rules))
    assert set(GATEWAY_OWN_CALLS) <= set(rules), sorted(GATEWAY_OWN_CALLS - set(rules))
    for name, permission in STAFF_PERMISSIONS.items():
        rule = rules[name]
        assert rule is not None and rule.permission is permission, name
