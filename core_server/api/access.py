"""The access rule of each RPC, declared beside the servicer method:

    @rpc(roles=STAFF, mutation=True)
    async def AdjustBalance(self, request, context): ...

The interceptor reads the rule from the handler: who may call, whether the call acts in a tenant,
and whether it is a mutation (run once per request_id in one transaction with its idempotency
record). A method without a rule is refused (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

from core_server.domain.actor import Role
from core_server.domain.tenancy.authentication import AccessRule

F = TypeVar("F", bound=Callable[..., Any])
# Who calls what: admin calls (the bot gateway serves tenant admins' menus too), and user calls,
# which outside platforms with partner keys may also make.
STAFF = frozenset({Role.PLATFORM, Role.TENANT_ADMIN, Role.GATEWAY})
STAFF_AND_PARTNERS = STAFF | {Role.PARTNER}
RULE_ATTRIBUTE = "__billinghub_access__"


class Idempotency(Enum):
    NONE = "none"  # reads
    STORED = "stored"  # the interceptor stores the response with the record
    SEALED = "sealed"  # stored encrypted: the response carries a secret (a new API key)
    INLINE = "inline"  # the use case keeps its own record in its statement (the hot ledger path)


@dataclass(frozen=True, slots=True)
class MethodRule:
    access: AccessRule
    idempotency: Idempotency


def rpc(*, roles: Iterable[Role], tenant_scoped: bool = True, mutation: bool | Idempotency = False) -> Callable[[F], F]:
    """Declare who may call a servicer method, whether it acts inside a tenant, and whether it
    mutates (True means Idempotency.STORED)."""
    if mutation is True:
        mode = Idempotency.STORED
    elif mutation is False:
        mode = Idempotency.NONE
    else:
        mode = mutation
    rule = MethodRule(AccessRule(roles=frozenset(roles), tenant_scoped=tenant_scoped), mode)

    def mark(method: F) -> F:
        setattr(method, RULE_ATTRIBUTE, rule)
        return method

    return mark


def rule_of(behavior: object) -> MethodRule | None:
    rule = getattr(behavior, RULE_ATTRIBUTE, None)
    return rule if isinstance(rule, MethodRule) else None
