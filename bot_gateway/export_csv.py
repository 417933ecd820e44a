"""The CSV files of the admin export: which columns each kind has and how a row reads.

The rows come from the core's export streams (ExportTransfers, ExportOrders, ExportUsers), batch
by batch; `write_export` writes each batch to a file as it arrives, so the bot holds one batch at a
time whatever the period's size. Money is a decimal string with the asset's scale ("199.00", the
asset in its own column), never a float; times are ISO 8601 in UTC ("2026-11-28T09:30:00Z"), empty
when unset. The file is UTF-8 with a byte order mark, so spreadsheet programs read Cyrillic names
right. Text that people typed (names, reasons, references) and that starts like a formula gets a
leading apostrophe: a spreadsheet shows it as text instead of running it.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any, TypeVar

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from google.protobuf.timestamp_pb2 import Timestamp

from bot_gateway.callbacks import ExportKind
from bot_gateway.formatting import Scales, asset_scales
from sdk.billinghub.v1 import (
    common_pb2,
    order_pb2,
    order_service_pb2,
    package_pb2,
    user_pb2,
    user_service_pb2,
    wallet_pb2,
    wallet_service_pb2,
)
from sdk.client import BillingHubClient
from sdk.money import format_amount

ENCODING = "utf-8-sig"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Row = list[str]


def text(value: str) -> str:
    """Typed text, defused for spreadsheets when it starts like a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def when(stamp: Timestamp, present: bool = True) -> str:
    """ISO 8601 UTC with a Z, to the second (and its fraction when there is one); empty when unset."""
    if not present or (stamp.seconds == 0 and stamp.nanos == 0):
        return ""
    return stamp.ToJsonString()


def amount(money: common_pb2.Money, scales: Scales) -> str:
    """Minor units as a decimal string in the asset's scale: 19900 RUB (scale 2) -> "199.00"."""
    return format_amount(money.amount_minor, scales.get(money.asset, 0))


def enum_name(enum: EnumTypeWrapper, value: int, prefix: str) -> str:
    """TRANSFER_KIND_ORDER_PAYMENT -> "order_payment"; a value newer than this bot as its number."""
    try:
        return enum.Name(value).removeprefix(prefix).lower()
    except ValueError:
        return str(value)


def transfer_row(t: wallet_pb2.Transfer, scales: Scales) -> Row:
    return [
        t.id,
        when(t.create_time),
        enum_name(wallet_pb2.TransferKind, t.kind, "TRANSFER_KIND_"),
        t.amount.asset,
        amount(t.amount, scales),
        t.debit.user_id,
        t.debit.system,
        t.credit.user_id,
        t.credit.system,
        text(t.reference),
        t.link_id,
        text(t.reason),
        text(t.actor),
    ]


def order_row(o: order_pb2.Order, scales: Scales) -> Row:
    scale = scales.get(o.total.asset, 0)  # an order is in one asset: its total's

    def in_asset(money: common_pb2.Money) -> str:
        return format_amount(money.amount_minor, scale)

    return [
        o.id,
        when(o.create_time),
        o.user_id,
        o.package_id,
        enum_name(package_pb2.PackageKind, o.package_kind, "PACKAGE_KIND_"),
        str(o.quantity),
        text(o.recipient),
        enum_name(order_pb2.OrderStatus, o.status, "ORDER_STATUS_"),
        o.total.asset,
        in_asset(o.subtotal),
        in_asset(o.discount),
        in_asset(o.total),
        in_asset(o.refunded),
        text(o.promo_code),
        o.paid_via,
        when(o.paid_time, o.HasField("paid_time")),
        when(o.fulfilled_time, o.HasField("fulfilled_time")),
        text(o.failure_reason),
    ]


def user_row(u: user_pb2.User, scales: Scales) -> Row:
    return [
        u.id,
        when(u.create_time),
        enum_name(common_pb2.Platform, u.platform, "PLATFORM_"),
        u.external_id,
        text(u.username),
        text(u.first_name),
        text(u.last_name),
        u.language_code,
        u.referral_code,
        u.referrer_id,
        "true" if u.blocked else "false",
        "true" if u.bot_blocked else "false",
    ]


@dataclass(frozen=True)
class Table:
    """One kind's file: its header, how a row of the stream reads, which assets a row shows."""

    header: tuple[str, ...]
    row: Callable[[Any, Scales], Row]
    assets: Callable[[Any], Sequence[str]]


TRANSFER_COLUMNS = (
    "id", "create_time", "kind", "asset", "amount", "debit_user_id", "debit_system", "credit_user_id",
    "credit_system", "reference", "link_id", "reason", "actor",
)  # fmt: skip
ORDER_COLUMNS = (
    "id", "create_time", "user_id", "package_id", "package_kind", "quantity", "recipient", "status", "asset",
    "subtotal", "discount", "total", "refunded", "promo_code", "paid_via", "paid_time", "fulfilled_time",
    "failure_reason",
)  # fmt: skip
USER_COLUMNS = (
    "id", "create_time", "platform", "external_id", "username", "first_name", "last_name", "language_code",
    "referral_code", "referrer_id", "blocked", "bot_blocked",
)  # fmt: skip
TABLES: dict[ExportKind, Table] = {
    ExportKind.TRANSFERS: Table(TRANSFER_COLUMNS, transfer_row, lambda t: [t.amount.asset]),
    ExportKind.ORDERS: Table(ORDER_COLUMNS, order_row, lambda o: [o.total.asset]),
    ExportKind.USERS: Table(USER_COLUMNS, user_row, lambda u: []),
}


ExportRequest = TypeVar(
    "ExportRequest",
    wallet_service_pb2.ExportTransfersRequest,
    order_service_pb2.ExportOrdersRequest,
    user_service_pb2.ExportUsersRequest,
)


def _bounded(request: ExportRequest, start: dt.datetime | None, end: dt.datetime | None) -> ExportRequest:
    """The request with the period's bounds that are set (an unset one is unbounded)."""
    if start is not None:
        request.start_time.FromDatetime(start)
    if end is not None:
        request.end_time.FromDatetime(end)
    return request


async def batches(
    staff: BillingHubClient, kind: ExportKind, start: dt.datetime | None, end: dt.datetime | None
) -> AsyncIterator[Sequence[Any]]:
    """The rows of the period from the core's export stream of `kind`, one streamed message at a time."""
    if kind is ExportKind.TRANSFERS:
        transfers = _bounded(wallet_service_pb2.ExportTransfersRequest(), start, end)
        async for chunk in staff.wallet.ExportTransfers(transfers):
            yield chunk.transfers
    elif kind is ExportKind.ORDERS:
        orders = _bounded(order_service_pb2.ExportOrdersRequest(), start, end)
        async for chunk in staff.orders.ExportOrders(orders):
            yield chunk.orders
    else:
        users = _bounded(user_service_pb2.ExportUsersRequest(), start, end)
        async for chunk in staff.users.ExportUsers(users):
            yield chunk.users


async def write_export(
    staff: BillingHubClient,
    kind: ExportKind,
    start: dt.datetime | None,
    end: dt.datetime | None,
    file: IO[str],
) -> int:
    """Write the header and every row of the period to `file` as the batches arrive; the row count."""
    table = TABLES[kind]
    writer = csv.writer(file)
    writer.writerow(table.header)
    rows = 0
    async for batch in batches(staff, kind, start, end):
        codes = {code for item in batch for code in table.assets(item)}
        scales = await asset_scales(staff, *codes) if codes else {}
        writer.writerows(table.row(item, scales) for item in batch)
        rows += len(batch)
    return rows
