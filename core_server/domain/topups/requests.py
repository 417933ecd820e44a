"""Manual top-up requests: the user pays outside the hub, an admin approves (credit, audit) or
rejects; the tenant's methods live in its settings.

A request is decided once:

    pending ─┬─► approved
             └─► rejected
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from core_server.domain import audit
from core_server.domain.actor import Actor
from core_server.domain.catalog.packages import LOCALES, require_package
from core_server.domain.deps import Deps
from core_server.domain.errors import FailedPrecondition, InvalidArgument, Violation, Violations
from core_server.domain.events import emit
from core_server.domain.fast_unit import FastUnit, TakeOrmPath
from core_server.domain.money import ledger
from core_server.domain.money.amounts import Money, check_money
from core_server.domain.money.assets import require_asset
from core_server.domain.money.ledger import Posting, System, Wallet
from core_server.domain.money.wallets import require_buyer, require_user
from core_server.domain.paging import before_id, id_page, page_request
from core_server.domain.reasons import (
    MethodInactive,
    PackageInactive,
    TopupMethodNotFound,
    TopupRequestNotFound,
    TopupRequestNotPending,
)
from core_server.domain.states import check_edge
from core_server.domain.tenancy.settings import settings_row
from core_server.domain.tenant_reads import TENANT_TOPUP_READS
from core_server.store.ids import new_id
from core_server.store.models import AuditRow, TopupRequestRow
from core_server.store.repositories import audit as audit_repo
from core_server.store.repositories import topups as repo
from core_server.store.unit_of_work import UnitOfWork

MANUAL = "provider:manual"  # the system account manual top-ups are credited from
MAX_METHODS = 20
METHOD_CODE = re.compile(r"^[A-Za-z0-9_-]{2,32}$")
TITLE_LIMIT, INSTRUCTIONS_LIMIT = 100, 2000
RECEIPT_LIMIT = 500
TELEGRAM_FILE_ID = re.compile(r"^[A-Za-z0-9_-]{10,200}$")
RECEIPT_URL = re.compile(r"^https?://[^\s/?#]+(?:[/?#]\S*)?$", re.IGNORECASE)
PACKAGE_KINDS = ("topup", "token_pack")


class TopupRequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


PENDING = TopupRequestStatus.PENDING
APPROVED = TopupRequestStatus.APPROVED
REJECTED = TopupRequestStatus.REJECTED
TRANSITIONS: dict[TopupRequestStatus, frozenset[TopupRequestStatus]] = {
    PENDING: frozenset({APPROVED, REJECTED}),
    APPROVED: frozenset(),
    REJECTED: frozenset(),
}


def move(row: TopupRequestRow, to: TopupRequestStatus, now: dt.datetime) -> None:
    """Change the request's status along an allowed edge; every edge is a decision, stamped now."""
    check_edge("topup request", row.id, TRANSITIONS, TopupRequestStatus, row.status, to)
    row.status, row.decided_at = to, now


def decidable(row: TopupRequestRow) -> bool:
    """Whether the request still waits for an admin's decision."""
    return bool(TRANSITIONS[TopupRequestStatus(row.status)])


@dataclass(frozen=True, slots=True, kw_only=True)
class TopupMethod:
    code: str
    title: Mapping[str, str]
    instructions: Mapping[str, str]
    active: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class TopupRequest:
    id: uuid.UUID
    user_id: uuid.UUID
    method_code: str
    amount: Money | None
    package_id: uuid.UUID | None
    receipt: str
    status: TopupRequestStatus
    reason: str
    decided_by: str
    transfer_id: uuid.UUID | None
    created_at: dt.datetime
    decided_at: dt.datetime | None


def to_request(row: TopupRequestRow) -> TopupRequest:
    amount = Money(row.asset, row.amount) if row.asset and row.amount else None
    return TopupRequest(
        id=row.id,
        user_id=row.user_id,
        method_code=row.method_code,
        amount=amount,
        package_id=row.package_id,
        receipt=row.receipt,
        status=TopupRequestStatus(row.status),
        reason=row.reason,
        decided_by=row.decided_by,
        transfer_id=row.transfer_id,
        created_at=row.created_at,
        decided_at=row.decided_at,
    )


def _method_in(stored: Mapping[str, Any]) -> TopupMethod:
    return TopupMethod(
        code=str(stored["code"]),
        title=dict(stored["title"]),
        instructions=dict(stored["instructions"]),
        active=bool(stored["active"]),
    )


def _event(row: TopupRequestRow) -> dict[str, Any]:
    return {
        "topup_request_id": str(row.id),
        "user_id": str(row.user_id),
        "method_code": row.method_code,
        "asset": row.asset,
        "amount_minor": row.amount,
        "package_id": str(row.package_id) if row.package_id else None,
        "status": row.status,
        "reason": row.reason,
        "decided_by": row.decided_by,
        "transfer_id": str(row.transfer_id) if row.transfer_id else None,
    }


def _check_texts(v: Violations, field: str, texts: Mapping[str, str], limit: int, multiline: bool) -> None:
    for locale, text in texts.items():
        if locale not in LOCALES:
            v.add(f"{field}[{locale}]", f"locale must be one of {', '.join(LOCALES)}")
        else:
            v.check_text(f"{field}[{locale}]", text, max_length=limit, multiline=multiline)


def check_methods(methods: Sequence[TopupMethod]) -> list[TopupMethod]:
    """All rules of SetTopupMethods at once; returns the methods with codes and texts trimmed."""
    v = Violations()
    if len(methods) > MAX_METHODS:
        v.add("methods", f"at most {MAX_METHODS}")
    seen: dict[str, int] = {}
    cleaned = []
    for index, method in enumerate(methods):
        code = method.code.strip()
        if not METHOD_CODE.match(code):
            v.add(f"methods[{index}].code", "must be 2 to 32 letters, digits, - or _")
        elif code in seen:
            v.add(f"methods[{index}].code", f"repeats the code of methods[{seen[code]}]")
        seen.setdefault(code, index)
        title = {locale: text.strip() for locale, text in method.title.items()}
        instructions = {locale: text.strip() for locale, text in method.instructions.items()}
        if not any(title.values()):
            v.add(f"methods[{index}].title", "needs a text in at least one locale")
        _check_texts(v, f"methods[{index}].title", method.title, TITLE_LIMIT, multiline=False)
        _check_texts(v, f"methods[{index}].instructions", method.instructions, INSTRUCTIONS_LIMIT, multiline=True)
        cleaned.append(TopupMethod(code=code, title=title, instructions=instructions, active=method.active))
    v.raise_if_any()
    return cleaned


def receipt_ok(receipt: str) -> bool:
    return len(receipt) <= RECEIPT_LIMIT and bool(TELEGRAM_FILE_ID.match(receipt) or RECEIPT_URL.match(receipt))


def not_pending(row: TopupRequestRow) -> FailedPrecondition:
    """The refusal of a decided request names its status and who decided it, so a second admin's
    bot says "already approved by …" without another read."""
    metadata = {"status": row.status, "decided_by": row.decided_by or ""}
    return TopupRequestNotPending(f"topup request is {row.status}", metadata=metadata)


async def _methods(uow: UnitOfWork, tenant: uuid.UUID) -> list[TopupMethod]:
    row = await settings_row(uow, tenant)
    return [_method_in(stored) for stored in (row.topup_methods if row else [])]


async def _delivery(uow: UnitOfWork, row: TopupRequestRow) -> Money:
    """What approving credits without an override: the package's delivery (at its smallest
    quantity, as an order without a quantity would be), else the amount the user paid."""
    if row.package_id is not None:
        package = await require_package(uow, row.tenant_id, row.package_id, str(row.package_id))
        assert package.delivers_asset is not None
        assert package.delivers_amount is not None
        return Money(
            package.delivers_asset, package.delivers_amount * (package.min_quantity if package.per_unit else 1)
        )
    assert row.asset is not None
    assert row.amount is not None
    return Money(row.asset, row.amount)


def _approval(topup_request_id: str, who: str, credit: Money | None) -> tuple[uuid.UUID, str]:
    v = Violations()
    parsed = v.id("topup_request_id", topup_request_id)
    who = v.check_text("actor", who, max_length=100, required=True)
    if credit is not None:
        check_money(v, "credit", credit)
    v.raise_if_any()
    assert parsed is not None
    return parsed, who.strip()


def _credit(row: TopupRequestRow, money: Money, who: str) -> Posting:
    reference = f"topup_request:{row.id}"
    return Posting(System(MANUAL), Wallet(row.user_id), money.amount, "topup", reference=reference, actor=who)


def _approved(row: TopupRequestRow, money: Money, transfer: uuid.UUID, who: str, now: dt.datetime) -> dict[str, Any]:
    """Mark the row approved; the event's data."""
    move(row, APPROVED, now)
    row.transfer_id, row.decided_by = transfer, who
    return {**_event(row), "credited_asset": money.asset, "credited_minor": money.amount}


def _approval_entry(actor: Actor, row: TopupRequestRow, who: str, data: dict[str, Any], now: dt.datetime) -> AuditRow:
    target = ("topup_request", str(row.id))
    return audit.entry(actor, who, "topup_request.approved", target, "", {"status": PENDING}, data, now)


class TopupRequestService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    @property
    def deps(self) -> Deps:
        return self._deps

    async def list_methods(self, actor: Actor, active_only: bool) -> list[TopupMethod]:
        async with self._deps.read_uow() as uow:
            methods = await _methods(uow, actor.tenant)
        return [method for method in methods if method.active or not active_only]

    async def set_methods(self, actor: Actor, methods: Sequence[TopupMethod]) -> list[TopupMethod]:
        cleaned = check_methods(methods)
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await settings_row(uow, actor.tenant, create=True)
            assert row is not None
            before = list(row.topup_methods or [])
            row.topup_methods = [asdict(method) for method in cleaned]
            row.updated_at = now
            await uow.session.flush()
            target = ("tenant_settings", str(actor.tenant))
            after = {"methods": row.topup_methods}
            audit.record(uow, actor, "", "topup_methods.set", target, "", {"methods": before}, after, now)
            await uow.commit()
        return cleaned

    async def create(
        self, actor: Actor, user_id: str, method_code: str, amount: Money | None, package_id: str, receipt: str
    ) -> TopupRequest:
        v = Violations()
        user = v.id("user_id", user_id)
        package = v.id("package_id", package_id, required=False)
        method_code = v.check_text("method_code", method_code, max_length=32, required=True)
        receipt = v.check_text("receipt", receipt, max_length=RECEIPT_LIMIT)
        if amount is not None:
            check_money(v, "amount", amount)
        elif not package_id:
            v.add("amount", "is required without package_id")
        if receipt and not v.has("receipt") and not receipt_ok(receipt):
            v.add("receipt", f"must be a Telegram file id or an http(s) URL of at most {RECEIPT_LIMIT} characters")
        v.raise_if_any()
        assert user is not None
        tenant, now = actor.tenant, self._deps.clock.now()
        async with self._deps.uow() as uow:
            await require_buyer(uow, tenant, user, user_id)
            method = next((m for m in await _methods(uow, tenant) if m.code == method_code), None)
            if method is None:
                raise TopupMethodNotFound(method_code)
            if amount is not None:
                await require_asset(uow, tenant, amount.asset)
            if package is not None:
                bought = await require_package(uow, tenant, package, package_id)
                if bought.kind not in PACKAGE_KINDS:
                    raise InvalidArgument([Violation("package_id", "must be a topup or token_pack package")])
                if not bought.active or bought.archived:
                    raise PackageInactive("package is not offered now")
            if not method.active:
                raise MethodInactive(f"method {method_code} is not offered now")
            row = TopupRequestRow(
                tenant_id=tenant,
                id=new_id(),
                user_id=user,
                method_code=method_code,
                asset=amount.asset if amount else None,
                amount=amount.amount if amount else None,
                package_id=package,
                receipt=receipt,
                status=PENDING,
                reason="",
                decided_by="",
                created_at=now,
            )
            await repo.add_request(uow, row)
            await emit(uow, self._deps.feed, tenant, "topup_request.created", _event(row), now)
            request = to_request(row)
            await uow.commit()
        return request

    async def get(self, actor: Actor, topup_request_id: str, user_id: str = "") -> TopupRequest:
        """One request; naming its user in `user_id` makes another user's request NOT_FOUND (what
        a bot shows a user), and a gateway key naming nobody reads for a bot admin (tenant_reads.py)."""
        v = Violations()
        parsed, user = v.id("topup_request_id", topup_request_id), v.id("user_id", user_id, required=False)
        v.raise_if_any()
        actor.require_staff_for_tenant_read(user_id, TENANT_TOPUP_READS)
        async with self._deps.read_uow() as uow:
            row = await repo.get_request(uow, actor.tenant, parsed) if parsed is not None else None
            if row is None or (user is not None and row.user_id != user):
                raise TopupRequestNotFound(topup_request_id)
            return to_request(row)

    async def list_requests(
        self,
        actor: Actor,
        status: str | None,
        user_id: str,
        page_size: int,
        page_token: str,
        violations: Violations | None = None,
    ) -> tuple[list[TopupRequest], str]:
        """`violations`: those found converting the request, reported with these filters' own."""
        actor.require_user_filter(user_id)
        actor.require_staff_for_tenant_read(user_id, TENANT_TOPUP_READS)
        v = violations if violations is not None else Violations()
        user = v.id("user_id", user_id, required=False)
        page = page_request(page_size, page_token, {"s": status, "u": user_id}, violations=v)
        v.raise_if_any()
        before = before_id(page)
        async with self._deps.read_uow() as uow:
            if user is not None:  # a filter naming no user of this tenant is NOT_FOUND, as reading it is
                await require_user(uow, actor.tenant, user, user_id)
            rows = await repo.list_requests(
                uow, actor.tenant, user=user, status=status, before=before, limit=page.size + 1
            )
            found, token = id_page(page, rows, to_request)
        return found, token

    async def approve(self, actor: Actor, topup_request_id: str, who: str, credit: Money | None) -> TopupRequest:
        """Credit the request and mark it approved. A request is decided once: approving it again
        (with another request_id) is FAILED_PRECONDITION TOPUP_REQUEST_NOT_PENDING and credits
        nothing; the same request_id replays the first answer (the interceptor's idempotency)."""
        parsed, who = _approval(topup_request_id, who, credit)
        tenant, now = actor.tenant, self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await self._lock_pending(uow, tenant, parsed, topup_request_id)
            money = credit or await _delivery(uow, row)
            await require_asset(uow, tenant, money.asset)
            [transfer] = await ledger.post(uow, self._deps.feed, tenant, money.asset, [_credit(row, money, who)], now)
            data = _approved(row, money, transfer.id, who, now)
            await uow.session.flush()
            await emit(uow, self._deps.feed, tenant, "topup_request.approved", data, now)
            audit_repo.add(uow, _approval_entry(actor, row, who, data, now))
            request = to_request(row)
            await uow.commit()
        return request

    async def approve_fast(
        self, unit: FastUnit, actor: Actor, topup_request_id: str, who: str, credit: Money | None
    ) -> TopupRequest:
        """`approve` on a fast unit, for a pending request of an amount approved as asked; a
        package's request, an admin's own credit, or a refusal take the ORM path.

        On PostgreSQL the request is read unlocked, then the decision, the credit, the events, the
        audit entry (and the request's record) go as one statement, which decides only a request
        still pending: one that another decision took meanwhile fails it, changing nothing, and
        the ORM path then says why. What the read gave and the statement relies on (the user,
        asset and amount) a pending request never changes."""
        parsed, who = _approval(topup_request_id, who, credit)
        if credit is not None:
            raise TakeOrmPath("an admin's own credit: its asset to check")
        in_one = unit.tx.dialect == "postgresql"
        read = repo.read_request if in_one else repo.lock_request
        row = await read(unit.tx, unit.tenant, parsed)
        if row is None or not decidable(row) or row.package_id is not None:
            raise TakeOrmPath("not found, decided, or a package's delivery to read")
        assert row.asset is not None
        assert row.amount is not None
        money = Money(row.asset, row.amount)
        posting = _credit(row, money, who)
        if in_one:
            pending, transfer_id = row.status, new_id()
            data = _approved(row, money, transfer_id, who, unit.now)
            decided = repo.decide_if_still(unit.tx, row, pending)
            ledger.post_later(unit, money.asset, posting, after=decided, transfer_id=transfer_id)
        else:
            [transfer] = await ledger.post_raw(unit, [(money.asset, posting)])
            data = _approved(row, money, transfer.id, who, unit.now)
            await repo.store_decision(unit.tx, row)
        unit.emit("topup_request.approved", data)
        audit_repo.insert(unit.tx, _approval_entry(actor, row, who, data, unit.now))
        return to_request(row)

    async def reject(self, actor: Actor, topup_request_id: str, reason: str, who: str) -> TopupRequest:
        v = Violations()
        parsed = v.id("topup_request_id", topup_request_id)
        v.check_text("reason", reason, max_length=500, required=True, multiline=True)
        v.check_text("actor", who, max_length=100, required=True)
        v.raise_if_any()
        assert parsed is not None
        reason, who = reason.strip(), who.strip()
        tenant, now = actor.tenant, self._deps.clock.now()
        async with self._deps.uow() as uow:
            row = await self._lock_pending(uow, tenant, parsed, topup_request_id)
            move(row, REJECTED, now)
            row.reason, row.decided_by = reason, who
            await uow.session.flush()
            await emit(uow, self._deps.feed, tenant, "topup_request.rejected", _event(row), now)
            target = ("topup_request", str(row.id))
            after = _event(row)
            audit.record(uow, actor, who, "topup_request.rejected", target, reason, {"status": PENDING}, after, now)
            request = to_request(row)
            await uow.commit()
        return request

    async def _lock_pending(
        self, uow: UnitOfWork, tenant: uuid.UUID, request_id: uuid.UUID, text: str
    ) -> TopupRequestRow:
        """The row lock makes one decision win however many approvals and rejections race."""
        row = await repo.get_request(uow, tenant, request_id, for_update=True)
        if row is None:
            raise TopupRequestNotFound(text)
        if not decidable(row):
            raise not_pending(row)
        return row
