"""ListPackages builds each package's message straight from the row it read
(commerce_convert.listed_package_message); GetPackage goes through the domain's Package
(package_message). A listed package must read exactly as the same package got by id."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from core_server.api.commerce_convert import listed_package_message, package_message
from core_server.domain.catalog.packages import ListedPackage, to_package

CREATED = dt.datetime(2026, 11, 27, 10, 30, 15, 123456, tzinfo=dt.UTC)
UPDATED = CREATED + dt.timedelta(days=3, microseconds=7)


def listed(**fields: object) -> ListedPackage:
    base: dict[str, object] = {
        "id": uuid.UUID("0191a2b3-c4d5-7e6f-8091-a2b3c4d5e6f7"),
        "kind": "token_pack",
        "title": {"en": "10 tokens", "ru": "10 токенов"},
        "description": {},
        "category": "tokens",
        "sort_order": 2,
        "active": True,
        "archived": False,
        "price_asset": "XTR",
        "price_amount": 5,
        "per_unit": False,
        "min_quantity": 1,
        "max_quantity": 1,
        "delivers_asset": "TOKEN",
        "delivers_amount": 10,
        "plan_code": "",
        "period_days": 0,
        "stars_quantity": 0,
        "premium_months": 0,
        "features": {},
        "posts_per_day": 0,
        "active_days": 0,
        "created_at": CREATED,
        "updated_at": UPDATED,
        "prices": [("XTR", 5)],
    }
    base.update(fields)
    return ListedPackage(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "row",
    [
        listed(),
        listed(description={"en": "Lots", "uk": "Багато"}, features={"z": [1, 2], "badge": "hit"}),
        listed(prices=[("XTR", 14), ("RUB", 1400)], price_asset="XTR", price_amount=14),
        listed(active=False),
        listed(active=True, archived=True),
        listed(kind="telegram_premium", delivers_asset=None, delivers_amount=None, premium_months=6),
        listed(kind="subscription", delivers_asset=None, delivers_amount=None, plan_code="pro", period_days=30),
        listed(kind="service", per_unit=True, min_quantity=10, max_quantity=500, posts_per_day=3, active_days=7),
        listed(title={}, category="", sort_order=0),
    ],
    ids=[
        "token pack",
        "texts and features",
        "two prices",
        "inactive",
        "archived",
        "premium",
        "plan",
        "service",
        "bare",
    ],
)
def test_a_listed_package_reads_as_the_package_got_by_id(row: ListedPackage) -> None:
    assert listed_package_message(row) == package_message(to_package(row, row.prices))
