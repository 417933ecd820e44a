"""The access rule of each RPC, declared beside the servicer method:

    @rpc(roles=STAFF, mutation=True)
    async def AdjustBalance(self, request, context): ...

The interceptor reads the rule from the handler: who may call, whether the call acts in a tenant,
whether it is a mutation (run once per request_id in one transaction with its idempotency
record), and, for a staff call, the bot admin permission a gateway key needs. A method without a
rule is refused (fail closed).

A gateway key has end-user rights only (ARCHITECTURE.md, Tenancy and authentication): a staff call
it makes names the acting bot admin in `x-on-behalf-of: telegram:<id>` metadata, and the core
checks that this admin of the tenant holds the permission STAFF_PERMISSIONS maps the method to.
A method that gateway keys may call, but partner keys may not, is either in that table or in
GATEWAY_OWN_CALLS (what a gateway process calls for itself); one in neither fails at import, so
no staff call opens to gateway keys by omission.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

from core_server.domain.actor import ADMIN_ROLES, AdminPermission, Role
from core_server.domain.tenancy.authentication import AccessRule

F = TypeVar("F", bound=Callable[..., Any])
# Who calls what: staff calls (admin keys; a gateway key only on behalf of a bot admin holding the
# method's permission), the calls a gateway makes for itself (its event stream, its bot settings),
# and user calls, which gateways and outside platforms with partner keys make for end users.
STAFF = frozenset({Role.PLATFORM, Role.TENANT_ADMIN, Role.GATEWAY})
GATEWAY_AND_ADMINS = ADMIN_ROLES | {Role.GATEWAY}
STAFF_AND_PARTNERS = STAFF | {Role.PARTNER}
RULE_ATTRIBUTE = "__billinghub_access__"

P = AdminPermission
# Every staff RPC (roles=STAFF) and the one permission a bot admin needs to make it through a
# gateway, by servicer method. Admin keys hold every permission.
STAFF_PERMISSIONS: dict[str, AdminPermission] = {
    # stats: reports
    "ReportServicer.GetTenantStats": P.STATS,
    "ReportServicer.GetRevenueSeries": P.STATS,
    # queues: the core workers' backlogs (GetWorkerLag) sit beside the queue sizes on the bot's
    # /health screen, read by whoever watches the queues; they are operational state, not the
    # business figures STATS opens
    "ReportServicer.GetWorkerLag": P.QUEUES,
    # users: user reads and updates (blocking: UserService.update asks Actor.may(USERS))
    "UserServicer.ListUsers": P.USERS,
    # adjust: balance adjustments and holds
    "WalletServicer.AdjustBalance": P.ADJUST,
    "WalletServicer.CreateHold": P.ADJUST,
    "WalletServicer.CaptureHold": P.ADJUST,
    "WalletServicer.VoidHold": P.ADJUST,
    "WalletServicer.GetHold": P.ADJUST,
    # queues: top-up and payout decisions, fulfillment tasks worked by hand
    "TopupRequestServicer.ApproveTopupRequest": P.QUEUES,
    "TopupRequestServicer.RejectTopupRequest": P.QUEUES,
    "ReferralServicer.ApprovePayoutRequest": P.QUEUES,
    "ReferralServicer.RejectPayoutRequest": P.QUEUES,
    "FulfillmentServicer.LeaseTasks": P.QUEUES,
    "FulfillmentServicer.CompleteTask": P.QUEUES,
    "FulfillmentServicer.FailTask": P.QUEUES,
    "FulfillmentServicer.GetTask": P.QUEUES,
    "FulfillmentServicer.ListTasks": P.QUEUES,
    "FulfillmentServicer.RetryTask": P.QUEUES,
    # refunds
    "OrderServicer.RefundOrder": P.REFUNDS,
    "PaymentServicer.RefundTelegramPayment": P.REFUNDS,
    # catalog: packages, promo codes
    "CatalogServicer.CreatePackage": P.CATALOG,
    "CatalogServicer.UpdatePackage": P.CATALOG,
    "CatalogServicer.ArchivePackage": P.CATALOG,
    "PromoServicer.CreatePromoCode": P.CATALOG,
    "PromoServicer.ListPromoCodes": P.CATALOG,
    "PromoServicer.DisablePromoCode": P.CATALOG,
    # broadcast: a bot's broadcasts (the gateway leases and reports recipients for itself)
    "BroadcastServicer.CreateBroadcast": P.BROADCAST,
    "BroadcastServicer.CountBroadcastAudience": P.BROADCAST,
    "BroadcastServicer.StartBroadcast": P.BROADCAST,
    "BroadcastServicer.PauseBroadcast": P.BROADCAST,
    "BroadcastServicer.ResumeBroadcast": P.BROADCAST,
    "BroadcastServicer.CancelBroadcast": P.BROADCAST,
    "BroadcastServicer.GetBroadcast": P.BROADCAST,
    "BroadcastServicer.ListBroadcasts": P.BROADCAST,
    # an admin's own progress message: posting counts into a chat is the admin's decision, and the
    # core checks the chat is the acting admin's (a gateway-own call would let any gateway key aim
    # the progress at any chat)
    "BroadcastServicer.AttachBroadcastProgress": P.BROADCAST,
    # export
    "WalletServicer.ExportTransfers": P.EXPORT,
    "OrderServicer.ExportOrders": P.EXPORT,
    "UserServicer.ExportUsers": P.EXPORT,
    # settings: bot settings and texts, providers, orders, referral program, top-up methods
    "BotSettingsServicer.UpdateBotSettings": P.SETTINGS,
    "BotSettingsServicer.SetTextOverride": P.SETTINGS,
    "BotSettingsServicer.DeleteTextOverride": P.SETTINGS,
    "PaymentServicer.ListProviders": P.SETTINGS,
    "PaymentServicer.SetProviderConfig": P.SETTINGS,
    "PaymentServicer.ListProviderConfigs": P.SETTINGS,
    "PaymentServicer.TestProviderConfig": P.SETTINGS,
    "OrderServicer.GetOrderSettings": P.SETTINGS,
    "OrderServicer.UpdateOrderSettings": P.SETTINGS,
    "ReferralServicer.UpdateReferralProgram": P.SETTINGS,
    "TopupRequestServicer.SetTopupMethods": P.SETTINGS,
}
# User calls that read across the tenant when they name no user: a gateway key's GetOrder or
# ListOrders without user_id is staff work, made for a bot admin holding REFUNDS
# (domain/buyer_orders.py, TENANT_ORDER_READS; the check is the use case's, since the same method
# naming a user stays a user call). REFUNDS rather than STATS: the bot's orders section, the one
# screen that lists the tenant's orders one by one with their buyers, is the refunds admin's
# workplace, while STATS grants aggregated figures (counts, revenue) and never a buyer's purchases.
# Naming a user keeps these user calls; the buyer reads ListOrderTasks and GetServiceQuota always
# name the user for gateway and partner keys (domain/buyer_orders.py). Partner keys keep their
# rights: any order of their tenant by id, one user's list at a time.
# The other user-owned families follow the same rule (domain/tenant_reads.py; the check is again
# the use case's): a gateway key naming no user in ListTopupRequests, ListPayoutRequests,
# ListPayments, ListSubscriptions, ListTransfers, or reading GetTopupRequest, GetPayment,
# GetSubscription by id alone, acts for a bot admin holding
# - QUEUES for top-up and payout requests: the queues screens (and /health's counts) list the
#   pending ones to decide them, and those decisions already need QUEUES;
# - REFUNDS for payments: the orders section reads a Stars order's payment to refund it, and a
#   payment is an order's purchase, kept to the same admin as the orders rule above;
# - USERS for subscriptions: a plan is shown on one person's profile (the users section); STATS
#   grants aggregated figures, never who holds which plan;
# - ADJUST for transfers: the ledger's movements are what the adjust admin corrects (no bot screen
#   lists them tenant-wide today; USERS reads one person, which names the user and needs nothing).
# Naming the user keeps each a user call, and on a by-id read makes another user's object
# NOT_FOUND; the buyer screens always name the user.
# The by-id mutations a bot makes for its user keep the same rule, because a modified Telegram client
# packs any id into a button's callback data: PayOrderFromWallet, CancelOrder and SubmitServiceInput
# naming no user need REFUNDS (the orders section, as GetOrder; buyer_orders.TENANT_ORDER_WRITES),
# CancelSubscription naming no user needs USERS (the profile screen that shows the plan;
# tenant_reads.TENANT_SUBSCRIPTION_WRITES). No gateway process makes these calls for itself (the
# renewal worker and order expiry run in the core), so refusing them by id alone breaks no flow.
# What a gateway process calls for itself, with no admin behind the call: which bots to run and
# their settings, the event stream its notifications come from (and its place in it), marking a
# user who blocked the bot, provider webhooks and Telegram payment updates it forwards, and the
# recipients of a started broadcast it sends to and reports on (and the claim of its final report,
# which the sender or the notifier makes when it sees the end, with no admin behind it).
GATEWAY_OWN_CALLS = frozenset(
    {
        "GatewayServicer.ListBotTenants",
        "BotSettingsServicer.GetBotSettings",
        "BotSettingsServicer.ListTextOverrides",
        "EventServicer.WatchEvents",
        "EventServicer.ListEvents",
        "EventServicer.CommitEventCursor",
        "EventServicer.GetEventCursor",
        "UserServicer.SetUserBotBlocked",
        "BroadcastServicer.LeaseBroadcastRecipients",
        "BroadcastServicer.ReportBroadcastResults",
        "BroadcastServicer.ClaimBroadcastReport",
        "PaymentServicer.IngestProviderWebhook",
        "PaymentServicer.ValidatePreCheckout",
        "PaymentServicer.ConfirmTelegramPayment",
    }
)


class Idempotency(Enum):
    NONE = "none"  # reads
    STORED = "stored"  # the interceptor stores the response with the record
    SEALED = "sealed"  # stored encrypted: the response carries a secret (a new API key)
    INLINE = "inline"  # the use case keeps its own record in its statement (the hot ledger path)


@dataclass(frozen=True, slots=True)
class MethodRule:
    access: AccessRule
    idempotency: Idempotency
    # the bot admin permission a gateway key's call needs (None: not a staff call)
    permission: AdminPermission | None = None


def rpc(*, roles: Iterable[Role], tenant_scoped: bool = True, mutation: bool | Idempotency = False) -> Callable[[F], F]:
    """Declare who may call a servicer method, whether it acts inside a tenant, and whether it
    mutates (True means Idempotency.STORED)."""
    if mutation is True:
        mode = Idempotency.STORED
    elif mutation is False:
        mode = Idempotency.NONE
    else:
        mode = mutation
    allowed = frozenset(roles)

    def mark(method: F) -> F:
        name = method.__qualname__
        user_call = Role.PARTNER in allowed  # what partners may do for end users is never staff work
        permission = STAFF_PERMISSIONS.get(name) if Role.GATEWAY in allowed and not user_call else None
        if Role.GATEWAY in allowed and not user_call and permission is None and name not in GATEWAY_OWN_CALLS:
            raise TypeError(f"{name}: a gateway may call it, so it needs a permission in STAFF_PERMISSIONS")
        access = AccessRule(roles=allowed, tenant_scoped=tenant_scoped)
        setattr(method, RULE_ATTRIBUTE, MethodRule(access, mode, permission))
        return method

    return mark


def rule_of(behavior: object) -> MethodRule | None:
    rule = getattr(behavior, RULE_ATTRIBUTE, None)
    return rule if isinstance(rule, MethodRule) else None
