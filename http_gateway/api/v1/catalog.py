"""`/api/v1/assets` and `/api/v1/packages`: what a website shows for sale, and the scale of each
asset so it can format amounts (`amount_minor` 1990 at scale 2 is 19.90). Catalog edits stay with
tenant admins."""

from __future__ import annotations

from quart import Blueprint

from http_gateway.api.v1.routes import expose

TAG = "catalog"


def register(api: Blueprint) -> None:
    expose(api, "GET", "/assets", "CatalogService.ListAssets", resource=TAG, summary="The tenant's assets and scales.")
    expose(
        api, "GET", "/packages", "CatalogService.ListPackages", resource=TAG,
        summary="Page through the packages (filters: category, kind, active_only); subscription plans are "
        "`?kind=subscription`.",
    )  # fmt: skip
    expose(
        api, "GET", "/packages/<package_id>", "CatalogService.GetPackage", resource=TAG, unwrap="package",
        summary="One package.",
    )  # fmt: skip
