"""Finding a tenant's user from what an admin types: a core user id, a Telegram id, @username or a name.

The search by username or name is the core's (ListUsers `query`: a case-insensitive substring of
username, names and external id, its wildcards escaped by the core), never a filter over users
read into the bot. An id (a UUID) is read with GetUser and a Telegram id with FindUser, so those
find exactly one user; a number that is no Telegram id of the shop falls back to the text search.
Every call is made by `staff`, on the admin's behalf (ListUsers needs the USERS permission).
"""

from __future__ import annotations

import uuid

from sdk.billinghub.v1 import common_pb2, user_pb2, user_service_pb2
from sdk.client import BillingHubClient
from sdk.errors import InvalidArgument, NotFound

MAX_QUERY = 100  # the core's limit on ListUsers.query
SEARCH_PAGE = 10  # users shown per search; more ask the admin to refine it


def is_core_id(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return len(text) == 36


async def by_core_id(staff: BillingHubClient, user_id: str) -> user_pb2.User | None:
    try:
        response: user_service_pb2.GetUserResponse = await staff.users.GetUser(
            user_service_pb2.GetUserRequest(user_id=user_id)
        )
    except (NotFound, InvalidArgument):
        return None
    return response.user


async def by_telegram_id(staff: BillingHubClient, telegram_id: str) -> user_pb2.User | None:
    try:
        response: user_service_pb2.FindUserResponse = await staff.users.FindUser(
            user_service_pb2.FindUserRequest(platform=common_pb2.PLATFORM_TELEGRAM, external_id=telegram_id)
        )
    except (NotFound, InvalidArgument):
        return None
    return response.user


async def by_text(staff: BillingHubClient, query: str) -> tuple[list[user_pb2.User], bool]:
    """The newest users whose username, name or external id contains `query`, and whether more match."""
    response: user_service_pb2.ListUsersResponse = await staff.users.ListUsers(
        user_service_pb2.ListUsersRequest(query=query, page_size=SEARCH_PAGE)
    )
    return list(response.users), bool(response.next_page_token)


async def search_users(staff: BillingHubClient, text: str) -> tuple[list[user_pb2.User], bool]:
    """The users `text` names: one for an id or Telegram id, else the text search's page."""
    key = text.strip()
    if is_core_id(key):
        user = await by_core_id(staff, key)
        return ([user] if user else []), False
    if key.isdigit():
        user = await by_telegram_id(staff, key)
        if user is not None:
            return [user], False
    if key.startswith("@"):
        users, more = await by_text(staff, key[1:])
        exact = [user for user in users if user.username.lower() == key[1:].lower()]
        return (exact, False) if exact else (users, more)
    return await by_text(staff, key)


async def resolve_user(staff: BillingHubClient, key: str) -> user_pb2.User | None:
    """Exactly the user an id, a Telegram id or an @username names (a command's target), else None."""
    key = key.strip()
    if is_core_id(key):
        return await by_core_id(staff, key)
    if key.isdigit():
        return await by_telegram_id(staff, key)
    if key.startswith("@") and 1 < len(key) <= MAX_QUERY:
        users, _more = await by_text(staff, key[1:])
        exact = [user for user in users if user.username.lower() == key[1:].lower()]
        return exact[0] if len(exact) == 1 else None
    return None


def display_name(user: user_pb2.User) -> str:
    """ "Ann Smith (@ann)", "@ann", "Ann", or the Telegram id when the user gave no name."""
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    handle = f"@{user.username}" if user.username else ""
    if name and handle:
        return f"{name} ({handle})"
    return name or handle or user.external_id
