"""Property tests of the ledger rules, on the domain layer: whatever sequence of postings, linked
postings and holds runs, wallets never go negative, failed operations change nothing, balances
match a simple model, and the invariants hold."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core_server.domain.actor import Actor, Role
from core_server.domain.deps import Deps
from core_server.domain.money import ledger
from core_server.domain.money.amounts import InsufficientFunds, Money
from core_server.domain.money.holds import HoldService
from core_server.domain.money.ledger import Posting, System, Wallet
from core_server.domain.money.wallets import balance_of
from core_server.domain.tenancy.tenants import TenantChanges, TenantService
from core_server.domain.users.service import Platform, Profile, UserService
from core_server.store.db import open_database
from core_server.store.migrate import upgrade_database
from core_server.store.secret_box import SecretBox

USERS = 3
operation = st.one_of(
    st.tuples(st.just("credit"), st.integers(0, USERS - 1), st.integers(1, 50)),
    st.tuples(st.just("debit"), st.integers(0, USERS - 1), st.integers(1, 50)),
    st.tuples(st.just("linked"), st.integers(0, USERS - 1), st.integers(1, 40)),
    st.tuples(st.just("hold"), st.integers(0, USERS - 1), st.integers(1, 30)),
    st.tuples(st.just("capture"), st.integers(0, 10), st.integers(1, 30)),
    st.tuples(st.just("void"), st.integers(0, 10), st.just(0)),
)


@pytest.fixture(scope="module")
async def deps(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Deps]:
    path: Path = tmp_path_factory.mktemp("properties") / "ledger.db"
    db = open_database(f"sqlite+aiosqlite:///{path}")
    await upgrade_database(db)
    yield Deps(db=db, secrets=SecretBox(bytes(32)))
    await db.dispose()


async def _tenant_with_users(deps: Deps) -> tuple[Actor, list[uuid.UUID]]:
    platform = Actor(Role.PLATFORM, uuid.uuid4(), None)
    tenant = await TenantService(deps).create(platform, TenantChanges(name="props"))
    actor = Actor(Role.TENANT_ADMIN, uuid.uuid4(), tenant.id)
    users = []
    for n in range(USERS):
        registration = await UserService(deps).register(actor, Platform.TELEGRAM, str(n), Profile(), "")
        users.append(registration.user.id)
    return actor, users


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, max_size=25))
async def test_any_sequence_keeps_the_ledger_exact(deps: Deps, operations: list[tuple[str, int, int]]) -> None:
    actor, users = await _tenant_with_users(deps)
    tenant = actor.tenant
    holds = HoldService(deps)
    posted = [0] * USERS
    held = [0] * USERS
    pending: list[tuple[str, int, int]] = []  # (hold id, user index, amount)
    now = dt.datetime.now(dt.UTC)

    async def post(postings: list[Posting], linked: bool = False) -> bool:
        try:
            async with deps.uow() as uow:
                await ledger.post(uow, deps.feed, tenant, "TOKEN", postings, now, linked=linked)
                await uow.commit()
        except InsufficientFunds:
            return False
        return True

    for kind, who, amount in operations:
        if kind == "credit":
            assert await post([Posting(System("adjustments"), Wallet(users[who]), amount, "adjustment")])
            posted[who] += amount
        elif kind == "debit":
            ok = await post([Posting(Wallet(users[who]), System("revenue"), amount, "usage")])
            assert ok == (posted[who] - held[who] >= amount)
            posted[who] -= amount if ok else 0
        elif kind == "linked":  # a payment plus a commission to the next user: both or neither
            referrer = (who + 1) % USERS
            ok = await post(
                [
                    Posting(Wallet(users[who]), System("revenue"), amount, "order_payment"),
                    Posting(
                        System("referral_expense"), Wallet(users[referrer]), amount // 2 or 1, "referral_commission"
                    ),
                ],
                linked=True,
            )
            assert ok == (posted[who] - held[who] >= amount)
            if ok:
                posted[who] -= amount
                posted[referrer] += amount // 2 or 1
        elif kind == "hold":
            try:
                hold = await holds.create(actor, str(users[who]), Money("TOKEN", amount), "", 3600)
            except InsufficientFunds:
                assert posted[who] - held[who] < amount
            else:
                held[who] += amount
                pending.append((str(hold.id), who, amount))
        elif pending:
            hold_id, owner, reserved = pending.pop(who % len(pending))
            if kind == "capture":
                take = min(amount, reserved)
                await holds.capture(actor, hold_id, take)
                posted[owner] -= take
            else:
                await holds.void(actor, hold_id)
            held[owner] -= reserved

    async with deps.uow() as uow:
        for index, user in enumerate(users):
            balance = await balance_of(uow, tenant, user, "TOKEN")
            assert (balance.posted, balance.held) == (posted[index], held[index])
            assert balance.available >= 0
        report = await ledger.verify(uow, tenant)
    assert report.drifts == []
