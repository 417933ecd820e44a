"""Subscriptions as users and admins see them: reading, cancelling renewal, entitlements, and the
expiry worker's steps (notices before the end, renewal from the wallet, expiry)."""

from __future__ import annotations

from core_server.domain.deps import Deps


class SubscriptionService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
