"""CatalogService packages: every kind validated by what it delivers, updates by mask, archive."""

from __future__ import annotations

import pytest
from google.protobuf import field_mask_pb2

from sdk import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from sdk.billinghub.v1 import catalog_service_pb2 as pb
from sdk.billinghub.v1 import package_pb2, tenant_pb2
from tests.commerce.catalog import create_package, ensure_rub, price, stars_per_unit, token_pack
from tests.hub import Hub

K = package_pb2


async def test_reference_bots_catalogs_can_be_expressed(hub: Hub) -> None:
    shop = await hub.new_tenant("Stars shop")
    stars = await stars_per_unit(shop)
    assert (stars.per_unit, stars.min_quantity, stars.max_quantity, stars.price.amount_minor) == (
        True,
        50,
        1_000_000,
        180,
    )
    premium = await create_package(
        shop, kind=K.PACKAGE_KIND_TELEGRAM_PREMIUM, price=price(79900, "RUB"), premium_months=3, category="premium"
    )
    assert premium.premium_months == 3
    pack = await token_pack(shop)
    assert (pack.price.asset, pack.delivers.asset, pack.delivers.amount_minor) == ("XTR", "TOKEN", 1000)
    plan = await create_package(
        shop, kind=K.PACKAGE_KIND_SUBSCRIPTION, price=price(100000, "RUB"), plan_code="vip", period_days=30
    )
    assert plan.plan_code == "vip"
    boost = await create_package(
        shop,
        kind=K.PACKAGE_KIND_SERVICE,
        price=price(99_990_000, "XTR"),
        posts_per_day=2,
        features='{"views": "1000-2500", "reactions": "15-27"}',
        category="starter",
    )
    assert (boost.posts_per_day, boost.active_days) == (2, 30)
    assert '"views": "1000-2500"' in boost.features
    listed = await shop.admin.catalog.ListPackages(pb.ListPackagesRequest(category="stars"))
    assert [p.id for p in listed.packages] == [stars.id]


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"kind": K.PACKAGE_KIND_TOKEN_PACK, "price": price(1, "XTR")}, "package.delivers"),
        ({"kind": K.PACKAGE_KIND_SUBSCRIPTION, "price": price(1, "XTR"), "period_days": 30}, "package.plan_code"),
        ({"kind": K.PACKAGE_KIND_SUBSCRIPTION, "price": price(1, "XTR"), "plan_code": "vip"}, "package.period_days"),
        (
            {"kind": K.PACKAGE_KIND_TELEGRAM_PREMIUM, "price": price(1, "XTR"), "premium_months": 2},
            "package.premium_months",
        ),
        (
            {"kind": K.PACKAGE_KIND_TELEGRAM_STARS, "price": price(1, "XTR"), "stars_quantity": 10},
            "package.stars_quantity",
        ),
        ({"kind": K.PACKAGE_KIND_SERVICE, "price": price(1, "XTR")}, "package.posts_per_day"),
        (
            {"kind": K.PACKAGE_KIND_SERVICE, "price": price(1, "XTR"), "posts_per_day": 1, "features": "[1]"},
            "package.features",
        ),
        (
            {
                "kind": K.PACKAGE_KIND_TELEGRAM_STARS,
                "price": price(1, "XTR"),
                "per_unit": True,
                "min_quantity": 5,
                "max_quantity": 1,
            },
            "package.min_quantity",
        ),
        (
            {
                "kind": K.PACKAGE_KIND_SUBSCRIPTION,
                "price": price(1, "XTR"),
                "plan_code": "vip",
                "period_days": 3,
                "per_unit": True,
                "min_quantity": 1,
                "max_quantity": 2,
            },
            "package.per_unit",
        ),
        ({"price": price(1, "XTR")}, "package.kind"),
        (
            {"kind": K.PACKAGE_KIND_TOPUP, "price": price(-1, "XTR"), "delivers": price(1, "TOKEN")},
            "package.price.amount_minor",
        ),
        (
            {
                "kind": K.PACKAGE_KIND_TOPUP,
                "price": price(1, "XTR"),
                "delivers": price(1, "TOKEN"),
                "title": {"de": "x"},
            },
            "package.title[de]",
        ),
    ],
)
async def test_invalid_packages_are_refused_and_nothing_is_created(
    hub: Hub, fields: dict[str, object], bad: str
) -> None:
    shop = await hub.new_tenant("Strict catalog")
    with pytest.raises(InvalidArgument) as caught:
        await create_package(shop, **fields)
    assert bad in {v.field for v in caught.value.field_violations}
    assert list((await shop.admin.catalog.ListPackages(pb.ListPackagesRequest())).packages) == []


async def test_unknown_asset_is_not_found(hub: Hub) -> None:
    shop = await hub.new_tenant("No RUB")
    with pytest.raises(NotFound):
        await create_package(shop, kind=K.PACKAGE_KIND_TELEGRAM_PREMIUM, price=price(1, "RUB"), premium_months=3)


async def test_update_by_mask_and_archive(hub: Hub) -> None:
    shop = await hub.new_tenant("Edit catalog")
    pack = await token_pack(shop)
    changed = await shop.admin.catalog.UpdatePackage(
        pb.UpdatePackageRequest(
            package=package_pb2.Package(id=pack.id, price=price(150, "XTR"), category="ignored"),
            update_mask=field_mask_pb2.FieldMask(paths=["price"]),
        )
    )
    assert (changed.package.price.amount_minor, changed.package.category) == (150, "tokens")
    with pytest.raises(InvalidArgument):
        await shop.admin.catalog.UpdatePackage(
            pb.UpdatePackageRequest(
                package=package_pb2.Package(id=pack.id), update_mask=field_mask_pb2.FieldMask(paths=["kind"])
            )
        )
    with pytest.raises(InvalidArgument):  # the merged package must still be valid
        await shop.admin.catalog.UpdatePackage(
            pb.UpdatePackageRequest(
                package=package_pb2.Package(id=pack.id), update_mask=field_mask_pb2.FieldMask(paths=["delivers"])
            )
        )
    archived = await shop.admin.catalog.ArchivePackage(pb.ArchivePackageRequest(package_id=pack.id))
    assert archived.package.archived and not archived.package.active
    with pytest.raises(FailedPrecondition) as caught:
        await shop.admin.catalog.UpdatePackage(
            pb.UpdatePackageRequest(
                package=package_pb2.Package(id=pack.id, sort_order=1),
                update_mask=field_mask_pb2.FieldMask(paths=["sort_order"]),
            )
        )
    assert caught.value.reason == "PACKAGE_ARCHIVED"
    offered = await shop.admin.catalog.ListPackages(pb.ListPackagesRequest(active_only=True))
    assert list(offered.packages) == []


async def test_catalog_paging_roles_and_tenancy(hub: Hub) -> None:
    shop = await hub.new_tenant("Paged catalog")
    await ensure_rub(shop)
    ids = [
        (
            await create_package(
                shop, kind=K.PACKAGE_KIND_TELEGRAM_PREMIUM, price=price(n, "RUB"), premium_months=3, sort_order=n
            )
        ).id
        for n in range(5)
    ]
    seen: list[str] = []
    token = ""
    while True:
        page = await shop.admin.catalog.ListPackages(pb.ListPackagesRequest(page_size=2, page_token=token))
        seen += [p.id for p in page.packages]
        token = page.next_page_token
        if not token:
            break
    assert seen == ids
    partner = hub.client(await hub.new_key(tenant_pb2.API_KEY_ROLE_PARTNER, shop.id))
    assert len((await partner.catalog.ListPackages(pb.ListPackagesRequest())).packages) == 5
    with pytest.raises(PermissionDenied):
        await create_package_as(partner)
    other = await hub.new_tenant("Other catalog")
    with pytest.raises(NotFound):
        await other.admin.catalog.GetPackage(pb.GetPackageRequest(package_id=ids[0]))
    assert list((await other.admin.catalog.ListPackages(pb.ListPackagesRequest())).packages) == []


async def create_package_as(client: object) -> None:
    from sdk import BillingHubClient

    assert isinstance(client, BillingHubClient)
    await client.catalog.CreatePackage(
        pb.CreatePackageRequest(
            package=package_pb2.Package(
                kind=K.PACKAGE_KIND_TELEGRAM_PREMIUM, title={"en": "x"}, price=price(1, "XTR"), premium_months=3
            )
        )
    )
