"""Promo codes as admins manage them and users redeem them (credit codes); discount codes are
applied by orders.py through promos.py."""

from __future__ import annotations

from core_server.domain.deps import Deps


class PromoCodeService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
