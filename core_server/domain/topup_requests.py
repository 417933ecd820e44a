"""Manual top-up requests: the user pays outside the hub, an admin approves (credit, audit) or
rejects; the tenant's methods live in its settings."""

from __future__ import annotations

from core_server.domain.deps import Deps


class TopupRequestService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
