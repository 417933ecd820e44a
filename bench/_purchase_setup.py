"""The bench tenant of bench/purchase.py: a catalog of token packs, funded users, pending top-up
requests and promo codes, and the setup file the load client reads (bench/purchase_client.py).

`make bench` skips this file (its name starts with `_`).
"""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import _harness as harness
from bench._loadgen import user_uuid
from sdk.billinghub.v1 import (
    catalog_service_pb2,
    common_pb2,
    order_service_pb2,
    package_pb2,
    promo_pb2,
    promo_service_pb2,
    referral_pb2,
    referral_service_pb2,
    topup_pb2,
    topup_service_pb2,
    user_service_pb2,
    wallet_service_pb2,
)
from sdk.client import BillingHubClient

PRICE = 1  # XTR: the price of the pack every purchase buys
TOKENS = 10  # TOKEN: what it delivers
FUNDS = 1_000_000  # XTR and TOKEN per wallet: no purchase or charge runs short in a run
# (price in XTR, TOKEN delivered) of the token packs a bot lists; the first is the one bought.
CATALOG = ((PRICE, TOKENS), (5, 60), (10, 130), (50, 700), (100, 1500))
TOPUP_METHOD = topup_pb2.TopupMethod(code="bench", title={"en": "Bench transfer"}, active=True)
SETUP_CONCURRENCY = 32
# purchase_referred and purchase_promo: a pack priced so that a 10 % commission or discount is
# whole minor units, referred buyers under a two-level chain, discount codes to spread the calls over.
PRICED = (100, 1500)
LEVEL_RATES_BPS = (1000, 500)
REFERRED_BUYERS = 1000
REFERRER_CHAINS = 50
DISCOUNT_CODES = 64
DISCOUNT_BPS = 1000


@dataclass
class Shop:
    """What the load client needs to know of the bench tenant (written as its setup file)."""

    tenant: str
    key: str
    package_id: str
    users: list[str]
    external_ids: list[str]
    topup_requests: list[str] = field(default_factory=list)
    promo_codes: list[str] = field(default_factory=list)
    subscription_package_id: str = ""
    priced_package_id: str = ""  # purchase_referred and purchase_promo buy this one (PRICED)
    referred_users: list[str] = field(default_factory=list)
    discount_codes: list[str] = field(default_factory=list)
    holds: list[str] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)

    def write(self, path: Path) -> None:
        data = asdict(self)
        del data["key"]  # the key goes on the client's command line, not into a file
        path.write_text(json.dumps(data))


def money(amount: int, asset: str) -> common_pb2.Money:
    return common_pb2.Money(asset=asset, amount_minor=amount)


async def create_catalog(target: str, key: str) -> str:
    """The token packs (Stars -> tokens) of CATALOG; returns the id of the first, the one bought."""
    ids: list[str] = []
    async with BillingHubClient(target, key) as admin:
        for n, (price, tokens) in enumerate(CATALOG):
            package = package_pb2.Package(
                kind=package_pb2.PACKAGE_KIND_TOKEN_PACK,
                title={"en": f"{tokens} tokens", "ru": f"{tokens} токенов"},
                active=True,
                price=money(price, "XTR"),
                delivers=money(tokens, "TOKEN"),
                category="tokens",
                sort_order=n,
            )
            created = await admin.catalog.CreatePackage(catalog_service_pb2.CreatePackageRequest(package=package))
            ids.append(created.package.id)
    return ids[0]


async def warm_up(target: str, key: str, shop: Shop, *, charge: bool) -> None:
    """A purchase (and a charge) through the core: they create the system accounts' buckets
    (revenue XTR, issued TOKEN; revenue TOKEN) that the fast path and the pgbench scripts address."""
    async with BillingHubClient(target, key) as admin:
        if charge:
            await admin.wallet.ChargeUsage(
                wallet_service_pb2.ChargeUsageRequest(user_id=shop.users[0], amount=money(1, "TOKEN"), reference="warm")
            )
        await admin.orders.PurchaseFromWallet(
            order_service_pb2.PurchaseFromWalletRequest(user_id=shop.users[0], package_id=shop.package_id)
        )


async def create_plan(target: str, key: str) -> str:
    """A subscription package of 30 days for PRICE XTR (the purchase_subscription variant buys it)."""
    async with BillingHubClient(target, key) as admin:
        package = package_pb2.Package(
            kind=package_pb2.PACKAGE_KIND_SUBSCRIPTION,
            title={"en": "Bench plan", "ru": "Тариф"},
            active=True,
            price=money(PRICE, "XTR"),
            plan_code="bench",
            period_days=30,
            category="plans",
        )
        created = await admin.catalog.CreatePackage(catalog_service_pb2.CreatePackageRequest(package=package))
    return str(created.package.id)


async def seed_pg_shop(target: str, platform_key: str, database: str, users: int) -> Shop:
    """The bench tenant on PostgreSQL: users 1..users copied in, XTR and TOKEN wallets funded
    (bench/_harness.py: in SQL, posted as AdjustBalance posts), then the tables analyzed."""
    tenant, key = await harness.create_tenant(target, platform_key)
    await harness.insert_users(database, tenant, users)
    ids = [user_uuid(n) for n in range(1, users + 1)]
    for asset in ("XTR", "TOKEN"):
        await harness.fund_wallets_sql(target, key, database, tenant, users, asset, FUNDS)
    shop = Shop(tenant, key, await create_catalog(target, key), ids, [str(n) for n in range(1, users + 1)])
    await warm_up(target, key, shop, charge=True)
    await harness.analyze(database)
    return shop


async def seed_rpc_shop(target: str, platform_key: str, users: int, concurrency: int) -> Shop:
    """The bench tenant through the core only (RegisterUser, AdjustBalance; for a database the
    bench cannot copy rows into, the embedded SQLite): XTR wallets funded, for purchases only.
    `concurrency`: calls at a time (SQLite runs one write at a time whatever it is)."""
    tenant, key = await harness.create_tenant(target, platform_key)
    external_ids = [str(n) for n in range(1, users + 1)]
    ids: dict[str, str] = {}
    async with BillingHubClient(target, key) as admin:
        pending = iter(external_ids)

        async def register() -> None:
            for external_id in pending:
                request = user_service_pb2.RegisterUserRequest(
                    request_id=uuid.uuid4().hex,
                    platform=common_pb2.PLATFORM_TELEGRAM,
                    external_id=external_id,
                    first_name=f"User {external_id}",
                )
                registered = await harness.with_retries(functools.partial(admin.users.RegisterUser, request))
                ids[external_id] = registered.user.id

        await asyncio.gather(*(register() for _ in range(concurrency)))
    user_ids = [ids[external_id] for external_id in external_ids]
    await harness.fund_users(target, key, user_ids, "XTR", FUNDS, concurrency)
    shop = Shop(tenant, key, await create_catalog(target, key), user_ids, external_ids)
    await warm_up(target, key, shop, charge=False)
    return shop


async def prepare_topups(target: str, key: str, users: list[str], count: int) -> list[str]:
    """`count` pending top-up requests (1 TOKEN each, users in turn), created through the core."""
    async with BillingHubClient(target, key) as admin:
        await admin.topups.SetTopupMethods(topup_service_pb2.SetTopupMethodsRequest(methods=[TOPUP_METHOD]))
        created: list[str] = []
        numbers = iter(range(count))

        async def create() -> None:
            for n in numbers:
                request = topup_service_pb2.CreateTopupRequestRequest(
                    request_id=uuid.uuid4().hex,
                    user_id=users[n % len(users)],
                    method_code=TOPUP_METHOD.code,
                    amount=money(1, "TOKEN"),
                    receipt=f"https://example.com/receipts/{n}",
                )
                made = await harness.with_retries(functools.partial(admin.topups.CreateTopupRequest, request))
                created.append(made.topup_request.id)

        await asyncio.gather(*(create() for _ in range(SETUP_CONCURRENCY)))
    return created


async def prepare_promo_codes(target: str, key: str, count: int) -> list[str]:
    """`count` credit codes of 1 TOKEN, once per user each."""
    codes = [f"BENCH{n:04d}" for n in range(count)]
    async with BillingHubClient(target, key) as admin:
        for code in codes:
            promo = promo_pb2.PromoCode(
                code=code, kind=promo_pb2.PROMO_KIND_CREDIT, credit=money(1, "TOKEN"), per_user_limit=1
            )
            await admin.promos.CreatePromoCode(promo_service_pb2.CreatePromoCodeRequest(promo_code=promo))
    return codes


async def system_buckets(connection: Any, system_name: str, asset: str) -> list[str]:
    """The ids of a system account's buckets, in bucket order (`connection`: to the bench database)."""
    rows = await connection.fetch(
        "SELECT id FROM ledger_accounts WHERE system_name = $1 AND asset = $2 ORDER BY bucket", system_name, asset
    )
    return [str(row["id"]) for row in rows]


async def _priced_package(admin: BillingHubClient) -> str:
    price, tokens = PRICED
    package = package_pb2.Package(
        kind=package_pb2.PACKAGE_KIND_TOKEN_PACK,
        title={"en": f"{tokens} tokens"},
        active=True,
        price=money(price, "XTR"),
        delivers=money(tokens, "TOKEN"),
        category="tokens",
        sort_order=len(CATALOG),
    )
    return str(
        (await admin.catalog.CreatePackage(catalog_service_pb2.CreatePackageRequest(package=package))).package.id
    )


async def _register(admin: BillingHubClient, external_id: str, referral_code: str = "") -> tuple[str, str]:
    request = user_service_pb2.RegisterUserRequest(
        request_id=uuid.uuid4().hex,
        platform=common_pb2.PLATFORM_TELEGRAM,
        external_id=external_id,
        first_name=f"User {external_id}",
        referral_code=referral_code,
    )
    user = (await harness.with_retries(functools.partial(admin.users.RegisterUser, request))).user
    return user.id, user.referral_code


async def prepare_referred(target: str, shop: Shop) -> dict[str, Any]:
    """A two-level program, REFERRER_CHAINS chains top <- mid <- buyers (REFERRED_BUYERS in all,
    registered through the core with referral codes, funded in XTR) and the priced pack they buy:
    each purchase posts the payment, two commissions and the delivery. Several chains, as a shop
    has many referrers: one chain would queue every purchase on its two referrers' wallets."""
    async with BillingHubClient(target, shop.key) as admin:
        program = referral_pb2.ReferralProgram(enabled=True, level_rates_bps=list(LEVEL_RATES_BPS))
        await admin.referrals.UpdateReferralProgram(referral_service_pb2.UpdateReferralProgramRequest(program=program))
        shop.priced_package_id = shop.priced_package_id or await _priced_package(admin)
        codes: list[str] = []
        for chain in range(REFERRER_CHAINS):
            _, top_code = await _register(admin, f"referrer-top-{chain}")
            codes.append((await _register(admin, f"referrer-mid-{chain}", top_code))[1])
        pending = iter(range(REFERRED_BUYERS))
        buyers: list[str] = []

        async def register() -> None:
            for n in pending:
                buyers.append((await _register(admin, f"referred-{n}", codes[n % len(codes)]))[0])

        await asyncio.gather(*(register() for _ in range(SETUP_CONCURRENCY)))
    await harness.fund_users(target, shop.key, buyers, "XTR", FUNDS, SETUP_CONCURRENCY)
    shop.referred_users = buyers
    return {
        "referred_buyers": len(buyers),
        "referrer_chains": REFERRER_CHAINS,
        "level_rates_bps": list(LEVEL_RATES_BPS),
        "price_xtr": PRICED[0],
    }


async def prepare_discounts(target: str, shop: Shop) -> dict[str, Any]:
    """DISCOUNT_CODES percent codes (no total limit, a per-user limit no run reaches) and the
    priced pack bought with them: call n uses code n % DISCOUNT_CODES, so the calls in flight
    rarely wait on the same code's row lock."""
    codes = [f"SAVE{n:03d}" for n in range(DISCOUNT_CODES)]
    async with BillingHubClient(target, shop.key) as admin:
        shop.priced_package_id = shop.priced_package_id or await _priced_package(admin)
        for code in codes:
            promo = promo_pb2.PromoCode(
                code=code,
                kind=promo_pb2.PROMO_KIND_PERCENT_DISCOUNT,
                percent_bps=DISCOUNT_BPS,
                per_user_limit=1_000_000,
            )
            await admin.promos.CreatePromoCode(promo_service_pb2.CreatePromoCodeRequest(promo_code=promo))
    shop.discount_codes = codes
    return {"discount_codes": len(codes), "percent_bps": DISCOUNT_BPS, "price_xtr": PRICED[0]}


async def prepare_holds(target: str, key: str, users: list[str], count: int) -> list[str]:
    """`count` pending holds of 1 TOKEN (users in turn, an hour to live), created through the core."""
    async with BillingHubClient(target, key) as admin:
        created: list[str] = []
        numbers = iter(range(count))

        async def create() -> None:
            for n in numbers:
                request = wallet_service_pb2.CreateHoldRequest(
                    request_id=uuid.uuid4().hex, user_id=users[n % len(users)], amount=money(1, "TOKEN")
                )
                made = await harness.with_retries(functools.partial(admin.wallet.CreateHold, request))
                created.append(made.hold.id)

        await asyncio.gather(*(create() for _ in range(SETUP_CONCURRENCY)))
    return created


async def prepare_orders(target: str, key: str, shop: Shop, count: int) -> list[str]:
    """`count` orders of the bench pack bought from the wallet (users in turn), through the core."""
    async with BillingHubClient(target, key) as admin:
        bought: list[str] = []
        numbers = iter(range(count))

        async def buy() -> None:
            for n in numbers:
                request = order_service_pb2.PurchaseFromWalletRequest(
                    request_id=uuid.uuid4().hex, user_id=shop.users[n % len(shop.users)], package_id=shop.package_id
                )
                made = await harness.with_retries(functools.partial(admin.orders.PurchaseFromWallet, request))
                bought.append(made.order.id)

        await asyncio.gather(*(buy() for _ in range(SETUP_CONCURRENCY)))
    return bought


# Earned per user for payout requests: far more than a run withdraws, never more than the wallet has.
EARNED = FUNDS


async def prepare_earnings(target: str, key: str, shop: Shop, connection: Any) -> int:
    """Every user earned EARNED XTR, past its hold period: a referral program paying out in XTR, and
    one commission row per user on the warm-up purchase's order, inserted in SQL (`connection`: to
    the bench database; the XTR itself is already in the funded wallets). Returns the rows made."""
    async with BillingHubClient(target, key) as admin:
        program = referral_pb2.ReferralProgram(enabled=True, level_rates_bps=[1000], payout_asset="XTR")
        await admin.referrals.UpdateReferralProgram(referral_service_pb2.UpdateReferralProgramRequest(program=program))
    order = await connection.fetchrow(
        "SELECT id, user_id FROM orders WHERE tenant_id = $1 ORDER BY created_at LIMIT 1", uuid.UUID(shop.tenant)
    )
    status = await connection.execute(
        "INSERT INTO referral_commissions (tenant_id, id, order_id, referrer_id, buyer_id, level, asset, amount,"
        " base_amount, clawed_back, shortfall, transfer_id, available_at, created_at)"
        " SELECT $1, gen_random_uuid(), $2, u.id, $3, 1, 'XTR', $4, $4, 0, 0, NULL, now() - interval '1 day', now()"
        " FROM users u WHERE u.tenant_id = $1",
        uuid.UUID(shop.tenant),
        order["id"],
        order["user_id"],
        EARNED,
    )
    return int(status.split()[-1])
