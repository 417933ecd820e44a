"""The catalogue: one exception class per `ErrorInfo.reason` the core answers with.

The reasons are the contract's `billinghub.v1.ErrorReason` (proto/billinghub/v1/error_reason.proto);
tests/unit/test_error_reasons.py checks that the two lists are the same, that each class's gRPC
status matches the one its proto comment names, and that no other reason is raised. A rule raises
the class of its reason: the status code follows from the class (core_server/api/errors.py), the
reason from its name.
"""

from __future__ import annotations

from core_server.domain.errors import (
    AlreadyExists,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
)


class MalformedRequest(InvalidArgument):
    """The request bytes are not the method's message (bad wire format, invalid UTF-8 in a string field)."""

    reason = "MALFORMED_REQUEST"


class IdempotencyKeyReused(InvalidArgument):
    """The request_id was used for another request."""

    reason = "IDEMPOTENCY_KEY_REUSED"


class ApiKeyMissing(Unauthenticated):
    """No `authorization: Bearer <key>` metadata."""

    reason = "API_KEY_MISSING"


class ApiKeyMalformed(Unauthenticated):
    """The key is not of the form bh_<role>_<id>_<secret>."""

    reason = "API_KEY_MALFORMED"


class ApiKeyInvalid(Unauthenticated):
    """No such key, or a wrong secret."""

    reason = "API_KEY_INVALID"


class ApiKeyRevoked(Unauthenticated):
    """The key was revoked."""

    reason = "API_KEY_REVOKED"


class MethodNotAllowed(PermissionDenied):
    """The method has no access rule for any caller."""

    reason = "METHOD_NOT_ALLOWED"


class RoleNotAllowed(PermissionDenied):
    """The key's role may not call this method."""

    reason = "ROLE_NOT_ALLOWED"


class TenantRequired(PermissionDenied):
    """A platform or gateway key calls a tenant method without naming the tenant in `x-tenant-id`."""

    reason = "TENANT_REQUIRED"


class TenantSuspended(PermissionDenied):
    """The tenant is suspended."""

    reason = "TENANT_SUSPENDED"


class TenantNotFound(NotFound):
    """No such tenant (or not the caller's)."""

    reason = "TENANT_NOT_FOUND"
    resource = "tenant"


class ApiKeyNotFound(NotFound):
    """No such API key in the caller's reach."""

    reason = "API_KEY_NOT_FOUND"
    resource = "api key"


class UserNotFound(NotFound):
    """No such user in the caller's tenant."""

    reason = "USER_NOT_FOUND"
    resource = "user"


class AssetNotFound(NotFound):
    """The tenant has no such asset."""

    reason = "ASSET_NOT_FOUND"
    resource = "asset"


class HoldNotFound(NotFound):
    """No such hold in the caller's tenant."""

    reason = "HOLD_NOT_FOUND"
    resource = "hold"


class PackageNotFound(NotFound):
    """No such package in the caller's tenant."""

    reason = "PACKAGE_NOT_FOUND"
    resource = "package"


class OrderNotFound(NotFound):
    """No such order in the caller's tenant."""

    reason = "ORDER_NOT_FOUND"
    resource = "order"


class TaskNotFound(NotFound):
    """No such fulfillment task in the caller's tenant."""

    reason = "TASK_NOT_FOUND"
    resource = "task"


class SubscriptionNotFound(NotFound):
    """No such subscription in the caller's tenant."""

    reason = "SUBSCRIPTION_NOT_FOUND"
    resource = "subscription"


class PayoutRequestNotFound(NotFound):
    """No such payout request in the caller's tenant."""

    reason = "PAYOUT_REQUEST_NOT_FOUND"
    resource = "payout request"


class PromoCodeNotFound(NotFound):
    """No such promo code in the caller's tenant."""

    reason = "PROMO_CODE_NOT_FOUND"
    resource = "promo code"


class TopupMethodNotFound(NotFound):
    """The tenant has no such top-up method."""

    reason = "TOPUP_METHOD_NOT_FOUND"
    resource = "topup method"


class TopupRequestNotFound(NotFound):
    """No such top-up request in the caller's tenant."""

    reason = "TOPUP_REQUEST_NOT_FOUND"
    resource = "topup request"


class AssetExists(AlreadyExists):
    """The tenant already has an asset with this code."""

    reason = "ASSET_EXISTS"


class PromoExists(AlreadyExists):
    """The tenant already has a promo code with this code."""

    reason = "PROMO_EXISTS"


class OrderNotPending(FailedPrecondition):
    """The order is no longer pending (paid, closed)."""

    reason = "ORDER_NOT_PENDING"


class OrderExpired(FailedPrecondition):
    """The order expired unpaid."""

    reason = "ORDER_EXPIRED"


class OrderNotRefundable(FailedPrecondition):
    """Nothing of the order is left to refund."""

    reason = "ORDER_NOT_REFUNDABLE"


class OrderNotActive(FailedPrecondition):
    """Not a service order that runs now."""

    reason = "ORDER_NOT_ACTIVE"


class PackageInactive(FailedPrecondition):
    """The package is not offered now."""

    reason = "PACKAGE_INACTIVE"


class PackageArchived(FailedPrecondition):
    """The package is archived and cannot change."""

    reason = "PACKAGE_ARCHIVED"


class PriceNotAvailable(FailedPrecondition):
    """The package has no price in the asset the buyer asked to pay with."""

    reason = "PRICE_NOT_AVAILABLE"

    def __init__(self, asset: str, offered: list[str]) -> None:
        super().__init__(
            f"the package has no price in {asset}: it is sold in {', '.join(offered)}",
            metadata={"asset": asset, "offered": ",".join(offered)},
        )


class TaskNotFailed(FailedPrecondition):
    """Only a task that failed for good can be retried (metadata `status`: what it is now)."""

    reason = "TASK_NOT_FAILED"


class TaskOrderRefunded(FailedPrecondition):
    """The task's order was refunded or cancelled: retrying would deliver what was not paid for."""

    reason = "TASK_ORDER_REFUNDED"


class TaskNotLeased(FailedPrecondition):
    """The task is not leased (done, failed, or lease lost)."""

    reason = "TASK_NOT_LEASED"


class QuotaExceeded(FailedPrecondition):
    """The service order's inputs for today are used up."""

    reason = "QUOTA_EXCEEDED"


class SubscriptionNotActive(FailedPrecondition):
    """The subscription is not active."""

    reason = "SUBSCRIPTION_NOT_ACTIVE"


class HoldNotPending(FailedPrecondition):
    """The hold was already captured, voided or expired."""

    reason = "HOLD_NOT_PENDING"


class HoldOfPayout(FailedPrecondition):
    """The hold belongs to a payout request, which decides it."""

    reason = "HOLD_OF_PAYOUT"


class NothingToWithdraw(FailedPrecondition):
    """The user never earned anything to pay out."""

    reason = "NOTHING_TO_WITHDRAW"


class PayoutAssetAmbiguous(FailedPrecondition):
    """The program names no payout asset and the user earned in several: an admin sets the
    program's payout asset first."""

    reason = "PAYOUT_ASSET_AMBIGUOUS"


class PayoutNotPending(FailedPrecondition):
    """The payout request was already decided."""

    reason = "PAYOUT_NOT_PENDING"


class BelowMinPayout(FailedPrecondition):
    """The amount is below the program's minimum payout."""

    reason = "BELOW_MIN_PAYOUT"


class TopupRequestNotPending(FailedPrecondition):
    """The top-up request was already decided."""

    reason = "TOPUP_REQUEST_NOT_PENDING"


class MethodInactive(FailedPrecondition):
    """The top-up method is switched off."""

    reason = "METHOD_INACTIVE"


class PromoInvalid(FailedPrecondition):
    """The code is disabled, not started or over."""

    reason = "PROMO_INVALID"


class PromoExhausted(FailedPrecondition):
    """The code's total or per-user limit is used up."""

    reason = "PROMO_EXHAUSTED"


class PromoNotApplicable(FailedPrecondition):
    """The code does not apply to this package or use."""

    reason = "PROMO_NOT_APPLICABLE"


class ProviderDisabled(FailedPrecondition):
    """The tenant switched the payment provider off."""

    reason = "PROVIDER_DISABLED"


class ProviderConfigIncomplete(FailedPrecondition):
    """A provider cannot be enabled before every required setting is given."""

    reason = "PROVIDER_CONFIG_INCOMPLETE"


class AmountOutOfRange(FailedPrecondition):
    """The amount is outside what the provider accepts for the asset (or it does not take the asset)."""

    reason = "AMOUNT_OUT_OF_RANGE"


class ProviderRefused(FailedPrecondition):
    """The provider refused the call; the message is its own."""

    reason = "PROVIDER_REJECTED"


class PaymentNotRefundable(FailedPrecondition):
    """The payment cannot be refunded to its provider (not a credited Telegram Stars charge, or its
    payer has no Telegram id)."""

    reason = "PAYMENT_NOT_REFUNDABLE"


class WebhookEndpointNotFound(NotFound):
    """No such webhook endpoint in the caller's tenant."""

    reason = "WEBHOOK_ENDPOINT_NOT_FOUND"
    resource = "webhook endpoint"


class WebhookDeliveryNotFound(NotFound):
    """The event was never delivered to this endpoint."""

    reason = "WEBHOOK_DELIVERY_NOT_FOUND"
    resource = "webhook delivery"


class WebhookEndpointLimit(FailedPrecondition):
    """The tenant has as many webhook endpoints as allowed."""

    reason = "WEBHOOK_ENDPOINT_LIMIT"


class WebhookEndpointDisabled(FailedPrecondition):
    """The webhook endpoint is switched off."""

    reason = "WEBHOOK_ENDPOINT_DISABLED"


class ConsumerLeaseLost(FailedPrecondition):
    """A stream of a named event consumer lost the consumer's lease to another stream."""

    reason = "CONSUMER_LEASE_LOST"

    def __init__(self, consumer: str) -> None:
        super().__init__(f"the stream of consumer {consumer!r} lost its lease to another stream; open a new one")


class UserBlocked(FailedPrecondition):
    """The tenant's admin blocked the user: no orders, payments, redemptions, top-up or payout
    requests until unblocked (staff actions on the user still work)."""

    reason = "USER_BLOCKED"

    def __init__(self, user_id: object) -> None:
        super().__init__(f"user {user_id} is blocked by the tenant's admin", metadata={"user_id": str(user_id)})


class PaymentNotFound(NotFound):
    """No such payment in the tenant."""

    reason = "PAYMENT_NOT_FOUND"
    resource = "payment"


class ProviderNotConfigured(NotFound):
    """The tenant has no settings for the provider."""

    reason = "PROVIDER_NOT_CONFIGURED"
    resource = "provider settings"


class AdminRequired(PermissionDenied):
    """A gateway key's staff call names no bot admin of the tenant in `x-on-behalf-of`."""

    reason = "ADMIN_REQUIRED"


class AdminPermissionMissing(PermissionDenied):
    """The bot admin named in `x-on-behalf-of` lacks the permission the call needs."""

    reason = "ADMIN_PERMISSION_MISSING"


class TextOverrideNotFound(NotFound):
    resource = "text override"
    reason = "TEXT_OVERRIDE_NOT_FOUND"


class TextOverrideLimit(FailedPrecondition):
    """The tenant has as many text overrides as allowed."""

    reason = "TEXT_OVERRIDE_LIMIT"


class BroadcastNotFound(NotFound):
    """No such broadcast in the tenant."""

    reason = "BROADCAST_NOT_FOUND"
    resource = "broadcast"


class BroadcastNotDraft(FailedPrecondition):
    """Only a draft broadcast can be started."""

    reason = "BROADCAST_NOT_DRAFT"


class BroadcastNotRunning(FailedPrecondition):
    """Only a running broadcast can be paused."""

    reason = "BROADCAST_NOT_RUNNING"


class BroadcastNotPaused(FailedPrecondition):
    """Only a paused broadcast can be resumed."""

    reason = "BROADCAST_NOT_PAUSED"


class BroadcastEnded(FailedPrecondition):
    """The broadcast finished or was cancelled already."""

    reason = "BROADCAST_ENDED"


class BroadcastAudienceEmpty(FailedPrecondition):
    """The broadcast's segment selects no user now; it stays a draft."""

    reason = "BROADCAST_AUDIENCE_EMPTY"


class BroadcastNotStarted(FailedPrecondition):
    """A draft or queued broadcast has no recipients to report on yet."""

    reason = "BROADCAST_NOT_STARTED"


class BroadcastNotEnded(FailedPrecondition):
    """The broadcast has not ended, so its final report cannot be claimed yet."""

    reason = "BROADCAST_NOT_ENDED"


class RateLimited(ResourceExhausted):
    """The API key spent its request budget (domain/rate_limits.py); nothing changed."""

    reason = "RATE_LIMITED"


class DatabaseUnavailable(Unavailable):
    """The database cannot take the call now; nothing changed."""

    reason = "DATABASE_UNAVAILABLE"


class ProviderDown(Unavailable):
    """The provider timed out or failed; nothing changed in the hub."""

    reason = "PROVIDER_UNAVAILABLE"


def catalogue() -> dict[str, type[DomainError]]:
    """Every concrete reason class by its reason (abstract bases have none)."""
    found: dict[str, type[DomainError]] = {}
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls.reason:
            found[cls.reason] = cls
    return found
