"""The audit log records every admin mutation with its actor, reason and before/after state."""

from __future__ import annotations

import json

import pytest

from sdk import PermissionDenied
from sdk.billinghub.v1 import audit_service_pb2 as pb
from sdk.billinghub.v1 import tenant_pb2
from sdk.billinghub.v1 import wallet_service_pb2 as wallet_pb
from tests.hub import Hub
from tests.money import CREDIT, DEBIT, money, new_user


async def test_adjustments_are_audited(hub: Hub) -> None:
    shop = await hub.new_tenant("Audited")
    user = await new_user(shop)
    for direction, amount, reason in ((CREDIT, 50, "compensation"), (DEBIT, 20, "chargeback")):
        await shop.admin.wallet.AdjustBalance(
            wallet_pb.AdjustBalanceRequest(
                user_id=user, amount=money(amount), direction=direction, reason=reason, actor="tg:777"
            )
        )
    entries = (await shop.admin.audit.ListAuditEntries(pb.ListAuditEntriesRequest())).audit_entries
    assert [e.reason for e in entries] == ["chargeback", "compensation"]
    latest = entries[0]
    assert latest.action == "balance.adjusted"
    assert (latest.target_type, latest.target_id) == ("wallet", user)
    assert latest.actor.startswith("tg:777 via tenant_admin:")
    assert json.loads(latest.before) == {"asset": "TOKEN", "posted_minor": 50}
    assert json.loads(latest.after) == {"asset": "TOKEN", "posted_minor": 30}
    page = await shop.admin.audit.ListAuditEntries(pb.ListAuditEntriesRequest(page_size=1))
    rest = await shop.admin.audit.ListAuditEntries(
        pb.ListAuditEntriesRequest(page_size=1, page_token=page.next_page_token)
    )
    assert [e.reason for e in rest.audit_entries] == ["compensation"]
    by_target = await shop.admin.audit.ListAuditEntries(pb.ListAuditEntriesRequest(target_id="nobody"))
    assert list(by_target.audit_entries) == []


async def test_audit_log_is_per_tenant_and_admin_only(hub: Hub) -> None:
    alpha, beta = await hub.new_tenant("Alpha"), await hub.new_tenant("Beta")
    user = await new_user(beta)
    await beta.admin.wallet.AdjustBalance(
        wallet_pb.AdjustBalanceRequest(user_id=user, amount=money(1), direction=CREDIT, reason="r", actor="a")
    )
    assert list((await alpha.admin.audit.ListAuditEntries(pb.ListAuditEntriesRequest())).audit_entries) == []
    gateway = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, beta.id))
    with pytest.raises(PermissionDenied):
        await gateway.audit.ListAuditEntries(pb.ListAuditEntriesRequest())
