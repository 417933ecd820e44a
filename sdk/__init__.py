"""Billing Hub SDK: the generated contract and the async client every caller of the core uses.

Gateways, the CLI and outside platforms talk to the core only through `BillingHubClient`.
"""

from sdk.client import BillingHubClient
from sdk.errors import (
    AlreadyExists,
    BillingHubError,
    DeadlineExceeded,
    FailedPrecondition,
    FieldViolation,
    InternalError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
)
from sdk.webhooks import WebhookSignatureError, verify_webhook

__all__ = [
    "AlreadyExists",
    "BillingHubClient",
    "BillingHubError",
    "DeadlineExceeded",
    "FailedPrecondition",
    "FieldViolation",
    "InternalError",
    "InvalidArgument",
    "NotFound",
    "PermissionDenied",
    "ResourceExhausted",
    "Unauthenticated",
    "Unavailable",
    "WebhookSignatureError",
    "verify_webhook",
]
