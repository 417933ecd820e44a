"""What the webhook dispatcher asks of the HTTP client that POSTs events to tenant endpoints.

The one implementation lives in core_server/providers/webhook_http.py (the only place that speaks
HTTP); the app wires it into Deps, and tests hand the dispatcher one of their own. Kept beside
provider_api.py, outside domain/webhooks/, because Deps carries it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class PostResult:
    """How one POST ended: `status` is the HTTP status (0 when none came back) and `error` a short
    reason for a failure that names no header, body or secret (empty when an answer came)."""

    status: int
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status < 300


class WebhookSender(Protocol):
    async def post(self, url: str, headers: Mapping[str, str], body: bytes, deadline: float) -> PostResult:
        """POST `body` to `url` within `deadline` seconds in all, following no redirect."""
        ...
