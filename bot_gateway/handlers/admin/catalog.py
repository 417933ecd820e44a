"""Catalog: the tenant's packages by category, a package's screen, and putting it on or off sale.

Admins with the CATALOG permission browse every package (on sale, off sale, archived; one
ListPackages page of `CATALOG_PAGE`) and change what users are offered. "On sale" is the
package's `active` flag, set with UpdatePackage (mask "active") and reversible at will;
ArchivePackage withdraws a package for good and is not offered here. Every call goes out on the
admin's behalf (`staff`), so the core checks the permission again and audits under their name.
The toggle button carries the wanted state, not "flip", and its request id is the press's: a
press Telegram delivers twice, or an old message's button, never undoes what it did.
Prices and titles are edited in `catalog_edits`.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from google.protobuf.field_mask_pb2 import FieldMask

from bot_gateway.admin_access import CATALOG
from bot_gateway.callbacks import (
    AdminCallback,
    AdminCategoryCallback,
    AdminPackageActiveCallback,
    AdminPackageCallback,
    AdminSection,
)
from bot_gateway.formatting import asset_scales, money, package_title
from bot_gateway.handlers.admin.permissions import PERMISSION_FLAG
from bot_gateway.handlers.user.screens import show
from bot_gateway.i18n import SUPPORTED_LOCALES
from bot_gateway.keyboards.admin import back_to_admin
from bot_gateway.keyboards.admin_catalog import catalog_categories, category_packages, package_actions
from bot_gateway.packages import find_package
from sdk.billinghub.v1 import catalog_service_pb2, package_pb2
from sdk.client import BillingHubClient
from sdk.errors import FailedPrecondition, NotFound

router = Router(name="admin_catalog")

CATALOG_PAGE = 500  # the most one ListPackages page holds
NEEDS_CATALOG = {PERMISSION_FLAG: CATALOG}


async def all_packages(staff: BillingHubClient, category: str | None = None) -> list[package_pb2.Package]:
    """Every package (one category, or all) in menu order, whether on sale or not."""
    request = catalog_service_pb2.ListPackagesRequest(page_size=CATALOG_PAGE)
    if category is not None:
        request.category = category
    response: catalog_service_pb2.ListPackagesResponse = await staff.catalog.ListPackages(request)
    return list(response.packages)


def status_text(package: package_pb2.Package) -> str:
    if package.archived:
        return _("🗄 archived (cannot change)")
    return _("✅ on sale") if package.active else _("⏸ off sale")


async def package_text(staff: BillingHubClient, package: package_pb2.Package, locale: str) -> str:
    """The package's name, category, status, prices and its title in each locale."""
    scales = await asset_scales(staff, *(price.asset for price in package.prices))
    lines = [
        f"📦 {package_title(package, locale)}",
        _("Category: {category}").format(category=package.category or _("Other")),
        _("Status: {status}").format(status=status_text(package)),
        "",
        _("Prices:"),
        *(f"• {money(price, scales)}" for price in package.prices),
        "",
        _("Titles:"),
        *(f"• {code}: {package.title.get(code) or '—'}" for code in SUPPORTED_LOCALES),
    ]
    return "\n".join(lines)


async def show_package(
    event: CallbackQuery, staff: BillingHubClient, package: package_pb2.Package, locale: str, note: str = ""
) -> None:
    """The package's screen, under `note` (what just happened) when there is one."""
    text = await package_text(staff, package, locale)
    await show(event, f"{note}\n\n{text}" if note else text, package_actions(package))


async def show_missing(event: CallbackQuery) -> None:
    await show(event, _("This package no longer exists."), back_to_admin())


@router.callback_query(AdminCallback.filter(F.section == AdminSection.CATALOG), flags=NEEDS_CATALOG)
async def open_catalog(callback: CallbackQuery, state: FSMContext, staff: BillingHubClient) -> None:
    """The categories of the catalog, in menu order."""
    await state.clear()
    names = list(dict.fromkeys(package.category for package in await all_packages(staff)))
    if not names:
        await show(callback, _("The catalog is empty."), back_to_admin())
        return
    await show(callback, _("🗂 Catalog. Choose a category:"), catalog_categories(names))


@router.callback_query(AdminCategoryCallback.filter(), flags=NEEDS_CATALOG)
async def open_category(
    callback: CallbackQuery, callback_data: AdminCategoryCallback, staff: BillingHubClient, locale: str
) -> None:
    """The category's packages, each with its status and primary price."""
    items = await all_packages(staff, callback_data.category)
    if not items:
        await show(callback, _("No packages in this category."), back_to_admin())
        return
    scales = await asset_scales(staff, *(price.asset for item in items for price in item.prices))
    title = _("Category {category}: ✅ on sale, ⏸ off sale, 🗄 archived.").format(
        category=callback_data.category or _("Other")
    )
    await show(callback, title, category_packages(items, locale, scales))


@router.callback_query(AdminPackageCallback.filter(), flags=NEEDS_CATALOG)
async def open_package(
    callback: CallbackQuery,
    callback_data: AdminPackageCallback,
    state: FSMContext,
    staff: BillingHubClient,
    locale: str,
) -> None:
    """The package's screen; it also drops an edit in progress (its Cancel button)."""
    await state.clear()
    package = await find_package(staff, callback_data.package_id)
    if package is None:
        await show_missing(callback)
        return
    await show_package(callback, staff, package, locale)


@router.callback_query(AdminPackageActiveCallback.filter(), flags=NEEDS_CATALOG)
async def set_active(
    callback: CallbackQuery, callback_data: AdminPackageActiveCallback, staff: BillingHubClient, locale: str
) -> None:
    """Put the package on sale or take it off, as the button says."""
    request = catalog_service_pb2.UpdatePackageRequest(
        request_id=f"tg-callback:{callback.id}",
        package=package_pb2.Package(id=callback_data.package_id, active=callback_data.active),
        update_mask=FieldMask(paths=["active"]),
    )
    try:
        response: catalog_service_pb2.UpdatePackageResponse = await staff.catalog.UpdatePackage(request)
    except NotFound:
        await show_missing(callback)
        return
    except FailedPrecondition:  # archived since the screen was drawn
        package = await find_package(staff, callback_data.package_id)
        if package is None:
            await show_missing(callback)
            return
        await show_package(callback, staff, package, locale, _("An archived package cannot change."))
        return
    note = _("✅ The package is on sale now.") if response.package.active else _("⏸ The package is off sale now.")
    await show_package(callback, staff, response.package, locale, note)
