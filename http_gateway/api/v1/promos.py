"""`/api/v1/users/<user_id>/promo-redemptions`: a user redeems a promo code on a website. Creating
and disabling codes stays with tenant admins."""

from __future__ import annotations

from quart import Blueprint

from http_gateway.api.v1.routes import expose

TAG = "promos"


def register(api: Blueprint) -> None:
    expose(
        api, "POST", "/users/<user_id>/promo-redemptions", "PromoService.RedeemPromoCode", resource=TAG,
        summary="Redeem a promo code (`code`) for the user: a credit code credits the wallet at once; a "
        "discount code is applied by giving it to an order (promo_code).",
    )  # fmt: skip
