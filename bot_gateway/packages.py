"""Reading one package of the tenant's catalog: the buy, recipient and service screens each open a
package a button names, which may have been archived or removed since the button was drawn; and
which packages Telegram can sell as a Stars subscription."""

from __future__ import annotations

from sdk.billinghub.v1 import catalog_service_pb2, package_pb2
from sdk.client import BillingHubClient
from sdk.errors import NotFound


async def find_package(hub: BillingHubClient, package_id: str) -> package_pb2.Package | None:
    """The package, or None when the tenant has no such package (any more)."""
    try:
        response: catalog_service_pb2.GetPackageResponse = await hub.catalog.GetPackage(
            catalog_service_pb2.GetPackageRequest(package_id=package_id)
        )
    except NotFound:
        return None
    return response.package


SUBSCRIPTION_DAYS = 30  # the one period of a Telegram Stars subscription (2592000 seconds)


def is_stars_subscription(package: package_pb2.Package) -> bool:
    """A plan Telegram can renew by itself when paid in Stars: a subscription package of 30 days."""
    return package.kind == package_pb2.PACKAGE_KIND_SUBSCRIPTION and package.period_days == SUBSCRIPTION_DAYS
