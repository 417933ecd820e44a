"""`/api/v1/assets` and `/api/v1/packages`: what a website shows for sale, read-only for partners."""

from __future__ import annotations

from sdk.billinghub.v1 import package_pb2
from tests.commerce.catalog import create_package, price
from tests.rest.shop import money, pack
from tests.rest.site import Site

K = package_pb2


async def _subscription(site: Site) -> package_pb2.Package:
    return await create_package(
        site.tenant, kind=K.PACKAGE_KIND_SUBSCRIPTION, price=price(250, "XTR"), plan_code="vip", period_days=30,
        category="plans",
    )  # fmt: skip


async def test_a_website_lists_assets_and_packages(site: Site) -> None:
    assets = await site.get("/assets")
    assert assets.status == 200, assets.body
    scales = {a["code"]: a["scale"] for a in assets.body["assets"]}
    assert scales["XTR"] == 0 and scales["TOKEN"] == 0

    tokens = await pack(site)
    plan = await _subscription(site)
    listed = await site.get("/packages")
    assert listed.status == 200, listed.body
    assert {p["id"] for p in listed.body["packages"]} == {tokens.id, plan.id}
    plans = await site.get("/packages", query={"kind": "subscription"})
    assert [(p["id"], p["kind"], p["period_days"]) for p in plans.body["packages"]] == [(plan.id, "subscription", 30)]
    assert plans.body["packages"][0]["price"] == money(250, "XTR")
    by_category = await site.get("/packages", query={"category": "plans", "active_only": "true"})
    assert [p["id"] for p in by_category.body["packages"]] == [plan.id]

    one = await site.get(f"/packages/{tokens.id}")
    assert one.status == 200 and one.body["delivers"] == money(1000, "TOKEN") and one.body["kind"] == "token_pack"
    assert one.body["title"]["en"] == "Package" and one.body["create_time"].endswith("Z")


async def test_another_tenants_package_is_not_found(site: Site) -> None:
    plan = await _subscription(site)
    other = await site.partner_of_another_tenant()
    assert (await other.get(f"/packages/{plan.id}")).status == 404
    assert (await other.get("/packages", query={"kind": "subscription"})).body["packages"] == []


async def test_bad_input_is_a_clear_400(site: Site) -> None:
    for query in ({"kind": "gift"}, {"page_size": "-"}, {"knd": "subscription"}, {"active_only": "maybe"}):
        answer = await site.get("/packages", query=query)
        assert answer.status == 400 and answer.error["code"] == "INVALID_ARGUMENT", (query, answer.body)
    assert (await site.get("/packages/not-a-package")).status in (400, 404)
    assert (await site.get("/assets", query={"code": "XTR"})).status == 400
    assert (await site.get("/packages", key="")).status == 401
