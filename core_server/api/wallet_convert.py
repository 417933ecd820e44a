"""Ledger objects as protobuf messages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core_server.api.convert import id_text, money, timestamp
from core_server.domain.money.hold_model import HoldStatus
from core_server.domain.money.hold_rules import Hold
from core_server.domain.money.ledger import Account, Drift, System, Transfer, Wallet
from core_server.domain.money.wallets import Balance
from sdk.billinghub.v1 import wallet_pb2

KINDS_OUT = {
    "adjustment": wallet_pb2.TRANSFER_KIND_ADJUSTMENT,
    "usage": wallet_pb2.TRANSFER_KIND_USAGE,
    "hold_capture": wallet_pb2.TRANSFER_KIND_HOLD_CAPTURE,
    "topup": wallet_pb2.TRANSFER_KIND_TOPUP,
    "order_payment": wallet_pb2.TRANSFER_KIND_ORDER_PAYMENT,
    "delivery": wallet_pb2.TRANSFER_KIND_DELIVERY,
    "referral_commission": wallet_pb2.TRANSFER_KIND_REFERRAL_COMMISSION,
    "refund": wallet_pb2.TRANSFER_KIND_REFUND,
    "reversal": wallet_pb2.TRANSFER_KIND_REVERSAL,
    "promo": wallet_pb2.TRANSFER_KIND_PROMO,
    "payout": wallet_pb2.TRANSFER_KIND_PAYOUT,
}
KINDS_IN = {value: key for key, value in KINDS_OUT.items()}
HOLD_STATUSES = {
    HoldStatus.PENDING: wallet_pb2.HOLD_STATUS_PENDING,
    HoldStatus.CAPTURED: wallet_pb2.HOLD_STATUS_CAPTURED,
    HoldStatus.VOIDED: wallet_pb2.HOLD_STATUS_VOIDED,
    HoldStatus.EXPIRED: wallet_pb2.HOLD_STATUS_EXPIRED,
}


def account_ref(account: Account | None) -> wallet_pb2.AccountRef | None:
    if account is None:
        return None
    if isinstance(account, Wallet):
        return wallet_pb2.AccountRef(user_id=str(account.user_id))
    assert isinstance(account, System)
    return wallet_pb2.AccountRef(system=account.name)


def transfer_message(transfer: Transfer) -> wallet_pb2.Transfer:
    return wallet_pb2.Transfer(
        id=str(transfer.id),
        kind=KINDS_OUT[transfer.kind],
        amount=money(transfer.asset, transfer.amount),
        debit=account_ref(transfer.debit),
        credit=account_ref(transfer.credit),
        reference=transfer.reference,
        link_id=id_text(transfer.link_id),
        reason=transfer.reason,
        actor=transfer.actor,
        debit_balance_after=transfer.debit_balance_after,
        credit_balance_after=transfer.credit_balance_after,
        create_time=timestamp(transfer.created_at),
    )


def put_balances_after(transfers: Iterable[wallet_pb2.Transfer], values: Sequence[int]) -> None:
    """The wallets' balances after, as a fast path's last statement computed them
    (ledger.PostedLater): in transfer order, debit side before credit side, wallet sides only."""
    sides = [
        (transfer, field)
        for transfer in transfers
        for field, ref in (("debit_balance_after", transfer.debit), ("credit_balance_after", transfer.credit))
        if ref.user_id
    ]
    if len(sides) != len(values):
        raise ValueError(f"{len(values)} balances for {len(sides)} wallet sides")
    for (transfer, field), value in zip(sides, values, strict=True):
        setattr(transfer, field, value)


def balance_message(balance: Balance) -> wallet_pb2.Balance:
    return wallet_pb2.Balance(
        asset=balance.asset,
        posted=money(balance.asset, balance.posted),
        held=money(balance.asset, balance.held),
        available=money(balance.asset, balance.available),
    )


def hold_message(hold: Hold) -> wallet_pb2.Hold:
    return wallet_pb2.Hold(
        id=str(hold.id),
        user_id=str(hold.user_id),
        amount=money(hold.asset, hold.amount),
        status=HOLD_STATUSES[hold.status],
        reference=hold.reference,
        captured_amount=money(hold.asset, hold.captured_amount) if hold.captured_amount is not None else None,
        capture_transfer_id=id_text(hold.capture_transfer_id),
        expire_time=timestamp(hold.expires_at),
        create_time=timestamp(hold.created_at),
        close_time=timestamp(hold.closed_at),
    )


def drift_message(drift: Drift) -> wallet_pb2.LedgerDrift:
    return wallet_pb2.LedgerDrift(
        asset=drift.asset,
        account=account_ref(drift.account),
        check=drift.check,
        expected=drift.expected,
        actual=drift.actual,
    )
