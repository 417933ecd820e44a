"""Reports: a tenant's figures over a period, the platform's across tenants, daily revenue."""

from __future__ import annotations

from core_server.domain.deps import Deps


class ReportService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
