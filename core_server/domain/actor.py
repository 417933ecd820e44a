"""Who is calling: the authenticated key's role, its id and the tenant the call acts in."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from core_server.domain.errors import InvalidArgument, Violation
from core_server.domain.reasons import AdminPermissionMissing, AdminRequired, TenantRequired


class Role(enum.StrEnum):
    """The four kinds of API key (see ARCHITECTURE.md, Tenancy and authentication)."""

    PLATFORM = "platform"
    TENANT_ADMIN = "tenant_admin"
    GATEWAY = "gateway"
    PARTNER = "partner"


class AdminPermission(enum.StrEnum):
    """What a tenant's bot admin may do from the bot (BotSettings.admins). A gateway key has
    end-user rights only: its staff calls name the acting admin, who must hold the permission the
    call maps to (core_server/api/access.py, STAFF_PERMISSIONS)."""

    STATS = "stats"
    USERS = "users"
    ADJUST = "adjust"
    QUEUES = "queues"
    REFUNDS = "refunds"
    CATALOG = "catalog"
    BROADCAST = "broadcast"
    EXPORT = "export"
    SETTINGS = "settings"


ALL_ROLES = frozenset(Role)
ADMIN_ROLES = frozenset({Role.PLATFORM, Role.TENANT_ADMIN})


@dataclass(frozen=True, slots=True)
class Actor:
    """The caller of one RPC. `tenant_id` is the tenant the call acts in, resolved from the key
    (or the gateway binding, or a platform key's `x-tenant-id`), never from the request body."""

    role: Role
    key_id: uuid.UUID
    tenant_id: uuid.UUID | None
    # the tenant's bot admin a gateway acts for (`telegram:<id>`, checked against the tenant's
    # admins by the interceptor) and that admin's permissions; empty for every other call
    acting_for: str = ""
    admin_permissions: frozenset[AdminPermission] = frozenset()

    @property
    def tenant(self) -> uuid.UUID:
        """The tenant of a tenant-scoped call (the interceptor guarantees one is set)."""
        if self.tenant_id is None:
            raise TenantRequired("this call needs a tenant")
        return self.tenant_id

    @property
    def label(self) -> str:
        """How audit entries and logs name the actor (never the secret): the admin a gateway acts
        for first, then the key that made the call."""
        key = f"{self.role.value}:{self.key_id.hex}"
        return f"{self.acting_for} via {key}" if self.acting_for else key

    def may(self, permission: AdminPermission) -> bool:
        """Whether the caller holds a staff permission: admin keys hold every one, a gateway only
        those of the admin it acts for, a partner none."""
        if self.role in ADMIN_ROLES:
            return True
        return self.role is Role.GATEWAY and permission in self.admin_permissions

    def require_user_filter(self, user_id: str) -> None:
        """Partner keys list one user's records at a time: an outside platform asks about the users
        it serves and never pages through the tenant's whole history."""
        if self.role is Role.PARTNER and not user_id:
            raise InvalidArgument([Violation("user_id", "is required for partner keys")])

    def require_staff_for_tenant_read(
        self, user_id: str, permission: AdminPermission, *, doing: str = "reading across the tenant"
    ) -> None:
        """A gateway key reads one named user's records; reading across the tenant (no user named)
        is staff work, made for a bot admin holding `permission`, so that a leaked gateway key
        alone cannot page through every user's history. The by-id mutations a bot makes for its
        user (pay, cancel, submit an input, stop a renewal) follow the same rule (`doing` says
        which, in the error), so that a forged button cannot act on another user's object. Admin
        keys and partner keys keep their own rules (require_user_filter for partners)."""
        if self.role is not Role.GATEWAY or user_id or self.may(permission):
            return
        if self.acting_for:
            raise AdminPermissionMissing(
                f"bot admin {self.acting_for} lacks the {permission.value} permission",
                metadata={"permission": permission.value},
            )
        raise AdminRequired(
            f"{doing} with a gateway key names a user in user_id, or the acting bot admin in x-on-behalf-of",
            metadata={"permission": permission.value},
        )
