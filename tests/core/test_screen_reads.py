"""The reads a bot makes on every screen (balances, the user, packages, entitlements, referral
stats), each one statement on its own path (the asyncpg pool on PostgreSQL): what they show a
user who has nothing yet, every filter of the catalog, and that they never show another tenant's
users, whoever asks."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import pytest

from sdk import BillingHubClient, InvalidArgument, NotFound
from sdk.billinghub.v1 import catalog_service_pb2, common_pb2, package_pb2, referral_pb2, tenant_pb2
from sdk.billinghub.v1 import referral_service_pb2 as referrals_pb
from sdk.billinghub.v1 import subscription_service_pb2 as subscriptions_pb
from sdk.billinghub.v1 import user_service_pb2 as users_pb
from sdk.billinghub.v1 import wallet_service_pb2 as wallet_pb
from tests.commerce.catalog import create_package, ensure_rub, price
from tests.commerce.referrals import amounts, buy, join, set_program, stats
from tests.hub import Hub, TenantHandle
from tests.money import fund, money
from tests.read_crowds import read_batches, reads_at_once

K = package_pb2
TELEGRAM = common_pb2.PLATFORM_TELEGRAM
Read = Callable[[BillingHubClient, str], Awaitable[Any]]

# Every screen read of one user, by id (FindUser by the identity of the user with that id).
USER_READS: dict[str, Read] = {
    "GetBalances": lambda c, user: c.wallet.GetBalances(wallet_pb.GetBalancesRequest(user_id=user)),
    "GetBalances(assets)": lambda c, user: c.wallet.GetBalances(
        wallet_pb.GetBalancesRequest(user_id=user, assets=["TOKEN"])
    ),
    "GetUser": lambda c, user: c.users.GetUser(users_pb.GetUserRequest(user_id=user)),
    "ListEntitlements": lambda c, user: c.subscriptions.ListEntitlements(
        subscriptions_pb.ListEntitlementsRequest(user_id=user)
    ),
    "GetReferralStats": lambda c, user: c.referrals.GetReferralStats(
        referrals_pb.GetReferralStatsRequest(user_id=user)
    ),
}


async def _find(client: BillingHubClient, external_id: str) -> users_pb.FindUserResponse:
    return await client.users.FindUser(users_pb.FindUserRequest(platform=TELEGRAM, external_id=external_id))


async def _rich_user(shop: TenantHandle) -> str:
    """A user with everything a screen shows: a wallet, a referral, earnings, a package on sale."""
    await set_program(shop, level_rates_bps=[1000, 500])
    referrer, code = await join(shop, "rich")
    invited, _ = await join(shop, "rich-friend", code)
    await buy(shop, invited, stars=100)
    await fund(shop, referrer, 500)
    return referrer


async def test_no_screen_read_shows_a_user_of_another_tenant(hub: Hub) -> None:
    alpha = await hub.new_tenant("Alpha screens")
    beta = await hub.new_tenant("Beta screens")
    beta_user = await _rich_user(beta)
    # the owner sees it all: the reads below fail for the tenant, not for the user
    for name, read in USER_READS.items():
        assert await read(beta.admin, beta_user), name
    assert (await _find(beta.admin, "rich")).user.id == beta_user
    assert (await stats(beta, beta_user)).invited_by_level == [1, 0]
    gateway = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_GATEWAY, name="bots")).for_tenant(alpha.id)
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, alpha.id))
    for client in (alpha.admin, gateway, partner):
        for name, read in USER_READS.items():
            with pytest.raises(NotFound) as caught:
                await read(client, beta_user)
            assert caught.value.reason == "USER_NOT_FOUND", name
        with pytest.raises(NotFound) as caught:
            await _find(client, "rich")
        assert caught.value.reason == "USER_NOT_FOUND"
        listed = await client.catalog.ListPackages(catalog_service_pb2.ListPackagesRequest())
        assert list(listed.packages) == []
    stranger = str(uuid.uuid4())
    for read in USER_READS.values():
        with pytest.raises(NotFound):
            await read(beta.admin, stranger)
        with pytest.raises(InvalidArgument):
            await read(beta.admin, "not-an-id")
        with pytest.raises(InvalidArgument):
            await read(beta.admin, "")


async def test_balances_of_a_user_without_wallets_are_zero_in_every_asset(hub: Hub) -> None:
    shop = await hub.new_tenant("No wallets yet")
    await ensure_rub(shop)
    user, _ = await join(shop, "new")
    reply = await shop.admin.wallet.GetBalances(wallet_pb.GetBalancesRequest(user_id=user))
    assert [b.asset for b in reply.balances] == ["RUB", "TOKEN", "XTR"]
    for b in reply.balances:
        assert (b.posted, b.held, b.available) == (money(0, b.asset),) * 3
    asked = await shop.admin.wallet.GetBalances(
        wallet_pb.GetBalancesRequest(user_id=user, assets=["xtr", " TOKEN ", "XTR"])
    )
    assert [b.asset for b in asked.balances] == ["TOKEN", "XTR"]
    with pytest.raises(NotFound) as caught:
        await shop.admin.wallet.GetBalances(wallet_pb.GetBalancesRequest(user_id=user, assets=["TOKEN", "USD", "EUR"]))
    assert (caught.value.reason, caught.value.metadata.get("id")) == ("ASSET_NOT_FOUND", "USD")
    with pytest.raises(NotFound) as caught:
        await shop.admin.wallet.GetBalances(wallet_pb.GetBalancesRequest(user_id=str(uuid.uuid4()), assets=["USD"]))
    assert caught.value.reason == "USER_NOT_FOUND"  # the user is checked first
    with pytest.raises(InvalidArgument):
        await shop.admin.wallet.GetBalances(wallet_pb.GetBalancesRequest(user_id=user, assets=["not an asset"]))
    await fund(shop, user, 700)
    await shop.admin.wallet.CreateHold(wallet_pb.CreateHoldRequest(user_id=user, amount=money(200), ttl_seconds=60))
    reply = await shop.admin.wallet.GetBalances(wallet_pb.GetBalancesRequest(user_id=user))
    token = {b.asset: b for b in reply.balances}["TOKEN"]
    assert (token.posted.amount_minor, token.held.amount_minor, token.available.amount_minor) == (700, 200, 500)
    assert {b.asset: b.posted.amount_minor for b in reply.balances} == {"RUB": 0, "TOKEN": 700, "XTR": 0}


async def test_list_packages_by_every_combination_of_filters_and_pages(hub: Hub) -> None:
    shop = await hub.new_tenant("Filtered catalog")
    await ensure_rub(shop)

    async def pack(category: str, sort_order: int, **fields: object) -> package_pb2.Package:
        fields.setdefault("kind", K.PACKAGE_KIND_TOKEN_PACK)
        if fields["kind"] == K.PACKAGE_KIND_TOKEN_PACK:
            fields.setdefault("price", price(10 + sort_order, "XTR"))
            fields.setdefault("delivers", price(100, "TOKEN"))
        return await create_package(shop, category=category, sort_order=sort_order, **fields)

    made = [
        await pack("tokens", 2, title={"en": "Big", "ru": "Много"}, description={"en": "Lots"}),
        await pack("tokens", 1, features='{"badge": "hit"}'),
        await pack("tokens", 3, active=False),
        await pack("premium", 1, kind=K.PACKAGE_KIND_TELEGRAM_PREMIUM, price=price(100, "RUB"), premium_months=3),
        await pack("premium", 2, kind=K.PACKAGE_KIND_TELEGRAM_PREMIUM, price=price(200, "RUB"), premium_months=6),
        await pack("", 0),
        await pack("tokens", 4, prices=[price(14, "XTR"), price(1400, "RUB")]),  # every price, the primary first
    ]
    archived = made[4].id
    await shop.admin.catalog.ArchivePackage(catalog_service_pb2.ArchivePackageRequest(package_id=archived))
    current = {
        p.id: (await shop.admin.catalog.GetPackage(catalog_service_pb2.GetPackageRequest(package_id=p.id))).package
        for p in made
    }
    in_order = sorted(current.values(), key=lambda p: (p.category, p.sort_order, p.id))
    for category, on_offer, kind in itertools.product(
        ("", "tokens", "premium", "none"), (False, True), (0, K.PACKAGE_KIND_TOKEN_PACK, K.PACKAGE_KIND_SERVICE)
    ):
        expected = [
            p
            for p in in_order
            if (not category or p.category == category)
            and (not on_offer or (p.active and not p.archived))
            and (not kind or p.kind == kind)
        ]
        request = {"category": category, "active_only": on_offer, "kind": kind}
        seen: list[package_pb2.Package] = []
        token = ""
        while True:
            page = await shop.admin.catalog.ListPackages(
                catalog_service_pb2.ListPackagesRequest(page_size=2, page_token=token, **request)  # type: ignore[arg-type]
            )
            seen += page.packages
            token = page.next_page_token
            if not token:
                break
        assert seen == expected, request  # whole messages: texts, features, prices, flags, times
    whole = await shop.admin.catalog.ListPackages(catalog_service_pb2.ListPackagesRequest())
    assert list(whole.packages) == in_order
    first = await shop.admin.catalog.ListPackages(catalog_service_pb2.ListPackagesRequest(page_size=1))
    with pytest.raises(InvalidArgument):
        await shop.admin.catalog.ListPackages(
            catalog_service_pb2.ListPackagesRequest(page_size=1, page_token=first.next_page_token, category="tokens")
        )


async def test_referral_stats_of_a_user_with_no_referrals_and_of_a_deep_tree(hub: Hub) -> None:
    shop = await hub.new_tenant("Stats screens")
    top, code = await join(shop, "top")
    await fund(shop, top, 300)  # a wallet is not an earning
    figures = await stats(shop, top)  # no program at all yet (no settings row)
    assert (list(figures.invited_by_level), figures.link, figures.tier) == ([0], "", "")
    assert (list(figures.earned), list(figures.pending), list(figures.withdrawable)) == ([], [], [])
    assert figures.referral_code == code
    tiers = [referral_pb2.ReferralTier(name="Silver", min_invited=2, bonus_rate_bps=100)]
    await set_program(shop, level_rates_bps=[1000, 500], tiers=tiers, bot_username="screens_bot")
    assert list((await stats(shop, top)).invited_by_level) == [0, 0]
    chain = [top]
    for depth in range(1, 5):  # top <- level 1 <- level 2 <- level 3 <- level 4
        user, code = await join(shop, f"depth-{depth}", code)
        chain.append(user)
    top_code = (await shop.admin.users.GetUser(users_pb.GetUserRequest(user_id=top))).user.referral_code
    await join(shop, "second-direct", top_code)
    figures = await stats(shop, top)
    assert list(figures.invited_by_level) == [2, 1]  # as deep as the program: levels 3 and 4 are not counted
    assert figures.tier == "Silver"
    assert figures.link.startswith("https://t.me/screens_bot?start=ref_")
    assert list((await stats(shop, chain[3])).invited_by_level) == [1, 0]
    await set_program(shop, level_rates_bps=[1000, 500, 200, 100, 50])
    assert list((await stats(shop, top)).invited_by_level) == [2, 1, 1, 1, 0]
    await buy(shop, chain[1], stars=100)  # top earns 10 % of it, as level 1
    figures = await stats(shop, top)
    assert amounts(figures.earned) == amounts(figures.withdrawable) == {"XTR": 10}
    assert amounts(figures.pending) == {"XTR": 0}


async def test_entitlements_of_a_user_with_none_are_empty(hub: Hub) -> None:
    shop = await hub.new_tenant("No entitlements")
    user, _ = await join(shop, "plain")
    listed = await shop.admin.subscriptions.ListEntitlements(subscriptions_pb.ListEntitlementsRequest(user_id=user))
    assert list(listed.entitlements) == []


async def _answer(read: Awaitable[Any]) -> Any:
    """What a read answers: its response, or the reason it was refused."""
    try:
        return await read
    except (NotFound, InvalidArgument) as error:
        return (type(error).__name__, error.reason)


async def _answer_of(read: Callable[[], Awaitable[Any]]) -> Any:
    return await _answer(read())


async def test_screen_reads_made_at_once_each_get_their_own_answer(hub: Hub) -> None:
    """Every screen read of two tenants' users, at once: on PostgreSQL the reads of a kind that
    queue behind a running one are answered by one statement (store/reads/batches_pg.py). Each
    must get what it gets alone: its own user's figures, NOT_FOUND for another tenant's user or
    for nobody, its own tenant's catalog page."""
    shops = [await hub.new_tenant("Crowd alpha"), await hub.new_tenant("Crowd beta")]
    users: dict[str, list[str]] = {}
    for n, shop in enumerate(shops):
        rich = await _rich_user(shop)
        plain, _ = await join(shop, f"plain-{n}")
        await fund(shop, plain, 10 + n)
        await create_package(
            shop,
            kind=K.PACKAGE_KIND_TOKEN_PACK,
            category="tokens",
            price=price(10 + n, "XTR"),
            delivers=price(5, "TOKEN"),
        )
        users[shop.id] = [rich, plain]
    stranger = str(uuid.uuid4())

    def reads_of(shop: TenantHandle) -> list[Callable[[], Awaitable[Any]]]:
        others = [u for key, listed in users.items() if key != shop.id for u in listed]
        made: list[Callable[[], Awaitable[Any]]] = []
        for user in [*users[shop.id], *others, stranger]:
            made += [partial(read, shop.admin, user) for read in USER_READS.values()]
        for external_id in ("rich", "rich-friend", "plain-0", "plain-1", "nobody"):
            made.append(partial(_find, shop.admin, external_id))
        for request in (
            catalog_service_pb2.ListPackagesRequest(),
            catalog_service_pb2.ListPackagesRequest(category="tokens", active_only=True),
            catalog_service_pb2.ListPackagesRequest(page_size=1),
        ):
            made.append(partial(shop.admin.catalog.ListPackages, request))
        return made

    reads = [read for shop in shops for read in reads_of(shop)]  # below HTTP/2's 100 streams per client
    alone = [await _answer(read()) for read in reads]
    # per tenant: the other tenant's two users and a stranger, by every read; two identities not its own
    assert sum(1 for a in alone if isinstance(a, tuple)) == 2 * (3 * len(USER_READS) + 2)
    before = read_batches(hub)
    together = await reads_at_once(hub, [partial(_answer_of, read) for read in reads])
    for index, (expected, seen) in enumerate(zip(alone, together, strict=True)):
        assert seen == expected, index
    if hub.deps.fastpath is not None:
        batches, batched = (now - then for now, then in zip(read_batches(hub), before, strict=True))
        assert batches >= 1 and batched >= 2 * batches, "no reads went to the database together"
        assert batched >= len(reads) // 2, (batches, batched)
