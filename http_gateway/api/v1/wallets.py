"""`/api/v1/users/<user_id>/balances` and `/transfers`: what a user holds and what moved it, for a
website's account page. Changing balances (adjustments, holds) stays with tenant admins."""

from __future__ import annotations

from quart import Blueprint

from http_gateway.api.v1.routes import expose

TAG = "wallets"


def register(api: Blueprint) -> None:
    expose(
        api, "GET", "/users/<user_id>/balances", "WalletService.GetBalances", resource=TAG,
        summary="The user's balances (posted, held, available), one per asset; `assets` limits them.",
    )  # fmt: skip
    expose(
        api, "GET", "/users/<user_id>/transfers", "WalletService.ListTransfers", resource=TAG,
        summary="Page through the transfers of the user's wallets, newest first (filters: asset, kinds, "
        "start_time, end_time).",
    )  # fmt: skip
