"""Who is who on the admin screens: the deciding admin as the core records them, a buyer as an admin reads them."""

from __future__ import annotations

from aiogram.types import User as TelegramUser

from bot_gateway.formatting import short_id
from sdk.billinghub.v1 import user_service_pb2
from sdk.client import BillingHubClient
from sdk.errors import BillingHubError

ACTOR_LIMIT = 100  # the core's limit of a decision's `actor`


def actor_of(admin: TelegramUser) -> str:
    """The `actor` of a decision made in the bot: the admin's name and Telegram id, one printable
    line of at most 100 characters. It is what a second admin reads in "already approved by …"
    (the core's audit names the admin by `x-on-behalf-of` anyway)."""
    name = "".join(ch for ch in " ".join(admin.full_name.split()) if ch.isprintable())
    suffix = f"telegram:{admin.id}"
    if not name:
        return suffix
    return f"{name[: ACTOR_LIMIT - len(suffix) - 3]} ({suffix})"


async def person(staff: BillingHubClient, user_id: str) -> str:
    """A user as an admin recognises them: "Ann Lee (@ann, 100042)"; the short id when unknown."""
    try:
        response: user_service_pb2.GetUserResponse = await staff.users.GetUser(
            user_service_pb2.GetUserRequest(user_id=user_id)
        )
    except BillingHubError:
        return "#" + short_id(user_id)
    user = response.user
    name = " ".join(part for part in (user.first_name, user.last_name) if part) or "#" + short_id(user_id)
    details = [f"@{user.username}"] if user.username else []
    details.append(user.external_id or short_id(user_id))
    return f"{name} ({', '.join(details)})"
