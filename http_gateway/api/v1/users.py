"""`/api/v1/users`: a website registers its users, finds them by its own id and keeps them current."""

from __future__ import annotations

from quart import Blueprint

from http_gateway.api.v1.routes import expose

TAG = "users"


def register(api: Blueprint) -> None:
    expose(
        api, "POST", "/users", "UserService.RegisterUser", resource=TAG,
        summary="Register a user by platform and external id (with an optional referral_code); registering "
        "the same user again answers it with created=false.",
    )  # fmt: skip
    expose(api, "GET", "/users", "UserService.ListUsers", resource=TAG, summary="Page through the tenant's users.")
    expose(
        api, "GET", "/users/by-external-id", "UserService.FindUser", resource=TAG, unwrap="user",
        summary="The user a platform knows by `external_id`.",
    )  # fmt: skip
    expose(api, "GET", "/users/<user_id>", "UserService.GetUser", resource=TAG, unwrap="user", summary="One user.")
    expose(
        api, "PATCH", "/users/<user_id>", "UserService.UpdateUser", resource=TAG, unwrap="user",
        summary="Change the fields the body names (username, first_name, last_name, language_code; blocked "
        "for tenant admins); fields left out keep their values.",
    )  # fmt: skip
