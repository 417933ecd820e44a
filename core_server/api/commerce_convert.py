"""Catalog, order and task objects as protobuf messages, and back."""

from __future__ import annotations

import json

from core_server.api.convert import id_text, money, money_in, moneys_in, timestamp
from core_server.domain.catalog.packages import ListedPackage, Package, PackageSpec
from core_server.domain.fulfillment.tasks import Task, TaskStatus
from core_server.domain.json_input import object_or_error
from core_server.domain.orders.model import Order, OrderStatus
from core_server.domain.orders.service_quota import ServiceQuota
from sdk.billinghub.v1 import common_pb2, fulfillment_pb2, order_pb2, package_pb2

MAX_FEATURES_CHARS = 5000
KINDS = {
    package_pb2.PACKAGE_KIND_TOPUP: "topup",
    package_pb2.PACKAGE_KIND_TOKEN_PACK: "token_pack",
    package_pb2.PACKAGE_KIND_SUBSCRIPTION: "subscription",
    package_pb2.PACKAGE_KIND_TELEGRAM_STARS: "telegram_stars",
    package_pb2.PACKAGE_KIND_TELEGRAM_PREMIUM: "telegram_premium",
    package_pb2.PACKAGE_KIND_SERVICE: "service",
}
KINDS_OUT = {value: key for key, value in KINDS.items()}
ORDER_STATUSES = {
    order_pb2.ORDER_STATUS_PENDING: OrderStatus.PENDING,
    order_pb2.ORDER_STATUS_PAID: OrderStatus.PAID,
    order_pb2.ORDER_STATUS_FULFILLED: OrderStatus.FULFILLED,
    order_pb2.ORDER_STATUS_EXPIRED: OrderStatus.EXPIRED,
    order_pb2.ORDER_STATUS_CANCELLED: OrderStatus.CANCELLED,
    order_pb2.ORDER_STATUS_FAILED: OrderStatus.FAILED,
    order_pb2.ORDER_STATUS_REFUNDED: OrderStatus.REFUNDED,
    order_pb2.ORDER_STATUS_PARTIALLY_REFUNDED: OrderStatus.PARTIALLY_REFUNDED,
}
ORDER_STATUSES_OUT = {value: key for key, value in ORDER_STATUSES.items()}
TASK_STATUSES = {
    fulfillment_pb2.TASK_STATUS_QUEUED: TaskStatus.QUEUED,
    fulfillment_pb2.TASK_STATUS_LEASED: TaskStatus.LEASED,
    fulfillment_pb2.TASK_STATUS_COMPLETED: TaskStatus.COMPLETED,
    fulfillment_pb2.TASK_STATUS_FAILED: TaskStatus.FAILED,
}
TASK_STATUSES_OUT = {value: key for key, value in TASK_STATUSES.items()}


def features_in(text: str) -> dict[str, object]:
    """The features JSON object of a request; anything else becomes a field violation downstream
    (the marker carries what is wrong)."""
    if not text:
        return {}
    value = object_or_error(text, max_chars=MAX_FEATURES_CHARS)
    return {"__invalid__": value} if isinstance(value, str) else value


def spec_in(message: package_pb2.Package) -> PackageSpec:
    return PackageSpec(
        kind=KINDS.get(message.kind),
        title=dict(message.title),
        description=dict(message.description),
        category=message.category.strip(),
        sort_order=message.sort_order,
        active=message.active,
        price=money_in(message.price, message.HasField("price")),
        prices=moneys_in(message.prices),
        per_unit=message.per_unit,
        min_quantity=message.min_quantity,
        max_quantity=message.max_quantity,
        delivers_asset=message.delivers.asset.strip().upper(),
        delivers_amount=message.delivers.amount_minor,
        plan_code=message.plan_code.strip(),
        period_days=message.period_days,
        stars_quantity=message.stars_quantity,
        premium_months=message.premium_months,
        features=features_in(message.features),
        posts_per_day=message.posts_per_day,
        active_days=message.active_days,
    )


def package_message(package: Package) -> package_pb2.Package:
    spec = package.spec
    message = package_pb2.Package(
        id=str(package.id),
        kind=KINDS_OUT[spec.kind or ""],
        category=spec.category,
        sort_order=spec.sort_order,
        active=spec.active and not package.archived,
        archived=package.archived,
        price=money(spec.primary.asset, spec.primary.amount),
        prices=[money(price.asset, price.amount) for price in spec.prices],
        per_unit=spec.per_unit,
        min_quantity=spec.min_quantity,
        max_quantity=spec.max_quantity,
        delivers=money(spec.delivers_asset, spec.delivers_amount) if spec.delivers_asset else None,
        plan_code=spec.plan_code,
        period_days=spec.period_days,
        stars_quantity=spec.stars_quantity,
        premium_months=spec.premium_months,
        features=json.dumps(spec.features, sort_keys=True) if spec.features else "",
        posts_per_day=spec.posts_per_day,
        active_days=spec.active_days,
        create_time=timestamp(package.created_at),
        update_time=timestamp(package.updated_at),
    )
    # Item by item: a map given to the constructor is copied through Python's MutableMapping.update,
    # which takes twice as long (ListPackages answers with every package's texts).
    for locale, text in spec.title.items():
        message.title[locale] = text
    for locale, text in spec.description.items():
        message.description[locale] = text
    return message


def listed_package_message(row: ListedPackage) -> package_pb2.Package:
    """What package_message(to_package(row, row.prices)) gives, straight from the listed row."""
    asset, amount = row.prices[0] if row.prices else ("", 0)
    message = package_pb2.Package(
        id=str(row.id),
        kind=KINDS_OUT[row.kind],
        category=row.category,
        sort_order=row.sort_order,
        active=row.active and not row.archived,
        archived=row.archived,
        price=common_pb2.Money(asset=asset, amount_minor=amount),
        prices=[common_pb2.Money(asset=asset, amount_minor=amount) for asset, amount in row.prices],
        per_unit=row.per_unit,
        min_quantity=row.min_quantity,
        max_quantity=row.max_quantity,
        delivers=common_pb2.Money(asset=row.delivers_asset, amount_minor=row.delivers_amount or 0)
        if row.delivers_asset
        else None,
        plan_code=row.plan_code,
        period_days=row.period_days,
        stars_quantity=row.stars_quantity,
        premium_months=row.premium_months,
        features=json.dumps(row.features, sort_keys=True) if row.features else "",
        posts_per_day=row.posts_per_day,
        active_days=row.active_days,
        create_time=timestamp(row.created_at),
        update_time=timestamp(row.updated_at),
    )
    for locale, text in (row.title or {}).items():  # item by item: see package_message
        message.title[locale] = text
    for locale, text in (row.description or {}).items():
        message.description[locale] = text
    return message


def order_message(order: Order) -> order_pb2.Order:
    return order_pb2.Order(
        id=str(order.id),
        user_id=str(order.user_id),
        package_id=str(order.package_id),
        package_kind=KINDS_OUT[order.package_kind],
        quantity=order.quantity,
        recipient=order.recipient,
        subtotal=money(order.asset, order.subtotal),
        discount=money(order.asset, order.discount),
        total=money(order.asset, order.total),
        promo_code=order.promo_code or "",
        status=ORDER_STATUSES_OUT[order.status],
        paid_via=order.paid_via,
        refunded=money(order.asset, order.refunded),
        failure_reason=order.failure_reason,
        expire_time=timestamp(order.expires_at),
        active_until=timestamp(order.active_until),
        create_time=timestamp(order.created_at),
        paid_time=timestamp(order.paid_at),
        fulfilled_time=timestamp(order.fulfilled_at),
    )


def task_message(task: Task) -> fulfillment_pb2.Task:
    return fulfillment_pb2.Task(
        id=str(task.id),
        order_id=str(task.order_id),
        user_id=id_text(task.user_id),
        kind=KINDS_OUT[task.kind],
        payload=json.dumps(task.payload, sort_keys=True),
        status=TASK_STATUSES_OUT[task.status],
        attempts=task.attempts,
        max_attempts=task.max_attempts,
        next_attempt_time=timestamp(task.next_attempt_at),
        lease_expire_time=timestamp(task.lease_expires_at),
        result=json.dumps(task.result, sort_keys=True),
        last_error=task.last_error,
        create_time=timestamp(task.created_at),
        update_time=timestamp(task.updated_at),
        retryable=task.retryable,
    )


def service_quota_message(quota: ServiceQuota) -> order_pb2.ServiceQuota:
    return order_pb2.ServiceQuota(
        order_id=str(quota.order_id),
        posts_per_day=quota.posts_per_day,
        used_today=quota.used_today,
        remaining_today=quota.remaining_today,
        day=quota.day,
        time_zone=quota.time_zone,
        reset_time=timestamp(quota.reset_at),
    )
