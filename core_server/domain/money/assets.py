"""A tenant's assets: the currencies and credits its wallets hold, with their scales."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from core_server.domain.actor import Actor
from core_server.domain.deps import Deps
from core_server.domain.errors import Violations
from core_server.domain.money.amounts import ASSET_CODE, DEFAULT_ASSETS
from core_server.domain.reasons import AssetExists, AssetNotFound
from core_server.domain.scales import WELL_KNOWN_SCALES
from core_server.store.models import AssetRow
from core_server.store.repositories import assets as repo
from core_server.store.unit_of_work import UnitOfWork

MAX_SCALE = 18


@dataclass(frozen=True, slots=True, kw_only=True)
class Asset:
    code: str
    scale: int
    display_name: str
    created_at: dt.datetime


def to_asset(row: AssetRow) -> Asset:
    return Asset(code=row.code, scale=row.scale, display_name=row.display_name, created_at=row.created_at)


def add_default_assets(uow: UnitOfWork, tenant: uuid.UUID, now: dt.datetime) -> None:
    rows = [
        AssetRow(tenant_id=tenant, code=code, scale=scale, display_name=name, created_at=now)
        for code, scale, name in DEFAULT_ASSETS
    ]
    repo.add_assets(uow, rows)


async def require_asset(uow: UnitOfWork, tenant: uuid.UUID, code: str, *, field: str = "") -> Asset:
    """The tenant's asset; NOT_FOUND (naming the request's `field` when given) if it has none."""
    row = await repo.get_asset(uow, tenant, code)
    if row is None:
        raise AssetNotFound(code, field=field)
    return to_asset(row)


async def tenant_assets(uow: UnitOfWork, tenant: uuid.UUID) -> list[Asset]:
    return [to_asset(row) for row in await repo.tenant_assets(uow, tenant)]


class AssetService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def create(self, actor: Actor, code: str, scale: int | None, display_name: str) -> Asset:
        code = code.strip().upper()
        violations = Violations()
        if not ASSET_CODE.match(code):
            violations.add("code", "must be 2 to 10 upper-case letters or digits")
        if scale is None:
            scale = WELL_KNOWN_SCALES.get(code)
            if scale is None and ASSET_CODE.match(code):
                violations.add("scale", "is required for an asset that is not well known")
        elif not 0 <= scale <= MAX_SCALE:
            violations.add("scale", f"must be between 0 and {MAX_SCALE}")
        violations.check_text("display_name", display_name, max_length=100)
        violations.raise_if_any()
        assert scale is not None
        now = self._deps.clock.now()
        values = {
            "tenant_id": actor.tenant,
            "code": code,
            "scale": scale,
            "display_name": display_name.strip() or code,
            "created_at": now,
        }
        async with self._deps.uow() as uow:
            if not await repo.insert_asset_if_absent(uow, values):
                raise AssetExists(f"asset {code} exists")
            await uow.commit()
        return Asset(code=code, scale=scale, display_name=str(values["display_name"]), created_at=now)

    async def get(self, actor: Actor, code: str) -> Asset:
        violations = Violations()
        code = violations.check_text("code", code, max_length=10, required=True, fold=str.upper).upper()
        violations.raise_if_any()
        async with self._deps.read_uow() as uow:
            return await require_asset(uow, actor.tenant, code)

    async def list_assets(self, actor: Actor) -> list[Asset]:
        async with self._deps.read_uow() as uow:
            return await tenant_assets(uow, actor.tenant)
