"""`/api/v1/users/<user_id>/balances` and `/transfers`: what a website shows on a user's account
page, in the REST money shape (`amount_minor` a string)."""

from __future__ import annotations

from tests.money import fund
from tests.rest.shop import funded_user, money
from tests.rest.site import Site


async def test_a_website_reads_its_users_balances_and_transfers(site: Site) -> None:
    user = await funded_user(site, "wallet-1", 300)
    await fund(site.tenant, user, 40, "TOKEN")
    got = await site.get(f"/users/{user}/balances")
    assert got.status == 200, got.body
    by_asset = {b["asset"]: b for b in got.body["balances"]}
    assert by_asset["XTR"] == {
        "asset": "XTR", "posted": money(300, "XTR"), "held": money(0, "XTR"), "available": money(300, "XTR")
    }  # fmt: skip
    assert by_asset["TOKEN"]["posted"] == money(40, "TOKEN")
    one = await site.get(f"/users/{user}/balances", query={"assets": "TOKEN"})
    assert [b["asset"] for b in one.body["balances"]] == ["TOKEN"]

    first = await site.get(f"/users/{user}/transfers", query={"page_size": "1"})
    assert first.status == 200, first.body
    [newest] = first.body["transfers"]
    assert newest["kind"] == "adjustment" and newest["amount"] == money(40, "TOKEN")
    assert newest["credit"]["user_id"] == user and first.body["next_page_token"]
    rest = await site.get(
        f"/users/{user}/transfers", query={"page_size": "1", "page_token": first.body["next_page_token"]}
    )
    assert [t["amount"] for t in rest.body["transfers"]] == [money(300, "XTR")]
    only = await site.get(f"/users/{user}/transfers", query={"asset": "XTR", "kinds": ["adjustment", "usage"]})
    assert [t["amount"]["asset"] for t in only.body["transfers"]] == ["XTR"]
    later = await site.get(f"/users/{user}/transfers", query={"start_time": "2999-01-01T00:00:00Z"})
    assert later.status == 200 and later.body["transfers"] == []


async def test_another_tenants_user_is_not_found(site: Site) -> None:
    user = await funded_user(site, "wallet-2", 300)
    other = await site.partner_of_another_tenant()
    for path in (f"/users/{user}/balances", f"/users/{user}/transfers"):
        answer = await other.get(path)
        assert answer.status == 404 and answer.error["details"]["status"] == "NOT_FOUND", (path, answer.body)
    assert (await site.get(f"/users/{user}/balances", query={"assets": "XTR"})).body["balances"][0]["posted"] == money(
        300, "XTR"
    )


async def test_bad_input_is_a_clear_400(site: Site) -> None:
    user = await funded_user(site, "wallet-3", 0)
    cases = [
        ("transfers", {"kinds": "gift"}, "kinds"),
        ("transfers", {"page_size": "lots"}, "page_size"),
        ("transfers", {"start_time": "yesterday"}, "start_time"),
        ("transfers", {"asest": "XTR"}, "asest"),
        ("balances", {"asset": "XTR"}, "asset"),
        ("balances", {"assets": ["XTR"] * 17}, "assets"),  # a query string stays short: 16 items at most
        ("balances", {"assets": "X" * 41}, "assets"),
    ]
    for resource, query, field in cases:
        answer = await site.get(f"/users/{user}/{resource}", query=query)
        assert answer.status == 400, (resource, query, answer.body)
        fields = {v["field"] for v in answer.error["details"]["field_violations"]}
        assert any(name.startswith(field) for name in fields), (resource, query, answer.body)
    assert (await site.get("/users/not-a-user/balances")).status in (400, 404)
    assert (await site.get(f"/users/{user}/balances", key="")).status == 401
