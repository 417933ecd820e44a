"""Who a gateway acts for. A gateway key has end-user rights only; a staff call from a bot names
the acting admin in `x-on-behalf-of: telegram:<id>` metadata, and only an admin of the tenant's
bot (BotSettings.admins) holding the call's permission may make it. A leaked gateway key can then
no longer adjust balances or refund on its own: it would need an admin's Telegram id too, and
every such call is audited under that admin's name.

The admin row is read on each staff call (no cache): removing an admin or a permission takes
effect on the next call on every core replica.
"""

from __future__ import annotations

import dataclasses
import re

from core_server.domain.actor import Actor, AdminPermission
from core_server.domain.deps import Deps
from core_server.domain.errors import InvalidArgument, Violation
from core_server.domain.reasons import AdminPermissionMissing, AdminRequired
from core_server.store.repositories import bots as repo

ON_BEHALF_HEADER = "x-on-behalf-of"
_TELEGRAM = re.compile(r"telegram:([1-9][0-9]{0,18})")
MAX_TELEGRAM_ID = 2**63 - 1


def parse_on_behalf(value: str) -> int:
    """The Telegram id of `telegram:<id>`; INVALID_ARGUMENT naming the metadata otherwise."""
    match = _TELEGRAM.fullmatch(value.strip())
    if match is None or int(match.group(1)) > MAX_TELEGRAM_ID:
        raise InvalidArgument([Violation(ON_BEHALF_HEADER, "must be telegram:<id> with the admin's Telegram user id")])
    return int(match.group(1))


def stored_permissions(names: list[str]) -> frozenset[AdminPermission]:
    """The permissions of an admin row (a name no longer known grants nothing)."""
    known = {p.value for p in AdminPermission}
    return frozenset(AdminPermission(name) for name in names if name in known)


async def acting_admin(deps: Deps, actor: Actor, header: str, needed: AdminPermission | None) -> Actor:
    """The gateway's actor acting for the admin its `x-on-behalf-of` names, who must be an admin of
    the tenant's bot and hold `needed` (when the call needs one)."""
    if not header:
        raise AdminRequired(
            "a staff call with a gateway key names the acting bot admin in `x-on-behalf-of: telegram:<id>` metadata",
            metadata={"permission": needed.value} if needed else None,
        )
    telegram_id = parse_on_behalf(header)
    async with deps.read_uow() as uow:
        row = await repo.get_admin(uow, actor.tenant, telegram_id)
        granted = stored_permissions(list(row.permissions or ())) if row is not None else None
    if granted is None:
        raise AdminRequired(f"telegram:{telegram_id} is not an admin of this tenant's bot")
    if needed is not None and needed not in granted:
        raise AdminPermissionMissing(
            f"bot admin telegram:{telegram_id} lacks the {needed.value} permission",
            metadata={"permission": needed.value},
        )
    return dataclasses.replace(actor, acting_for=f"telegram:{telegram_id}", admin_permissions=granted)
