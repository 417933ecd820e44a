"""All models, imported here so that `Base.metadata` knows every table (Alembic relies on it)."""

from core_server.store.models.base import Base
from core_server.store.models.bots import BotAdminRow, BotSettingsRow, TextOverrideRow
from core_server.store.models.broadcasts import BroadcastRecipientRow, BroadcastRow
from core_server.store.models.commerce import OrderRow, PackagePriceRow, PackageRow, TaskRow, TenantSettingsRow
from core_server.store.models.growth import (
    CommissionRow,
    PayoutRow,
    PromoRow,
    PromoUseRow,
    SubscriptionRow,
    TierAwardRow,
    TopupRequestRow,
)
from core_server.store.models.ledger import BUCKETS, AccountRow, AssetRow, HoldRow, TransferRow
from core_server.store.models.outbox import AuditRow, EventConsumerLeaseRow, EventCursorRow, EventRow, IdempotencyRow
from core_server.store.models.payments import PaymentRow, ProviderConfigRow
from core_server.store.models.tenant import ApiKeyRow, RateBucketRow, TenantRow
from core_server.store.models.user import UserRow
from core_server.store.models.webhooks import WebhookCursorRow, WebhookDeliveryRow, WebhookEndpointRow

__all__ = [
    "BUCKETS",
    "AccountRow",
    "ApiKeyRow",
    "AssetRow",
    "AuditRow",
    "Base",
    "BotAdminRow",
    "BotSettingsRow",
    "BroadcastRecipientRow",
    "BroadcastRow",
    "CommissionRow",
    "EventConsumerLeaseRow",
    "EventCursorRow",
    "EventRow",
    "HoldRow",
    "IdempotencyRow",
    "OrderRow",
    "PackagePriceRow",
    "PackageRow",
    "PaymentRow",
    "PayoutRow",
    "PromoRow",
    "PromoUseRow",
    "ProviderConfigRow",
    "RateBucketRow",
    "SubscriptionRow",
    "TaskRow",
    "TenantRow",
    "TenantSettingsRow",
    "TextOverrideRow",
    "TierAwardRow",
    "TopupRequestRow",
    "TransferRow",
    "UserRow",
    "WebhookCursorRow",
    "WebhookDeliveryRow",
    "WebhookEndpointRow",
]
