"""A tenant's settings of its payment providers.

Secrets (API keys, tokens, webhook secrets) are write-only: they are stored as one AES-GCM value
bound to the tenant and the provider (store/secret_box.py), decrypted only to call the provider,
and a read says which are set, never what they are. Which fields a provider takes is the adapter's
declaration (domain/provider_api.py), so a new provider needs no change here.
"""

from __future__ import annotations

import ipaddress
import json
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from core_server.domain import audit
from core_server.domain.actor import Actor
from core_server.domain.catalog.packages import LOCALES
from core_server.domain.deps import Deps
from core_server.domain.errors import InvalidArgument, Violation, Violations
from core_server.domain.money.amounts import MAX_AMOUNT, check_asset
from core_server.domain.money.assets import require_asset, tenant_assets
from core_server.domain.provider_api import (
    BOT_TOKEN,
    Configurable,
    FulfillmentAdapter,
    PaymentAdapter,
    ProviderConfig,
    ProviderRejected,
    ProviderUnavailable,
    SignatureInvalid,
    uses_bot_token,
)
from core_server.domain.reasons import (
    ProviderConfigIncomplete,
    ProviderDown,
    ProviderNotConfigured,
    ProviderRefused,
)
from core_server.domain.scales import WELL_KNOWN_SCALES
from core_server.domain.tenancy.tenants import bot_token
from core_server.store.models import ProviderConfigRow
from core_server.store.repositories import payments as repo
from core_server.store.unit_of_work import UnitOfWork

SECRET_LIMIT, OPTION_LIMIT, TITLE_LIMIT, URL_LIMIT = 4096, 500, 100, 500
MAX_LIMITS = 20
BASE_URL = re.compile(r"^https?://[^\s/?#@]+(?:/[^\s?#]*)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Limit:
    asset: str
    min: int
    max: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderSettings:
    """What an admin sets (and reads back) of one provider; `secrets_set` names the secrets given."""

    provider: str
    enabled: bool
    title: Mapping[str, str]
    sort_order: int
    limits: Sequence[Limit]
    options: Mapping[str, str]
    base_url: str
    test_mode: bool
    secrets_set: Sequence[str] = ()
    webhook_url: str = ""


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    name: str
    secret_fields: tuple[str, ...]
    option_fields: tuple[str, ...]
    required_fields: tuple[str, ...]


def _secret_context(tenant: uuid.UUID, provider: str) -> bytes:
    return f"tenant:{tenant}:provider:{provider}:secrets".encode()


def webhook_url(deps: Deps, tenant: uuid.UUID, provider: str) -> str:
    """Where the provider must send this tenant's notifications (the HTTP gateway's route)."""
    return f"{deps.public_url.rstrip('/')}/webhooks/{tenant}/{provider}"


def limits_of(row: ProviderConfigRow) -> list[Limit]:
    return [Limit(str(item["asset"]), int(item["min"]), int(item["max"])) for item in row.limits or []]


def to_settings(deps: Deps, row: ProviderConfigRow) -> ProviderSettings:
    return ProviderSettings(
        provider=row.provider,
        enabled=row.enabled,
        title=dict(row.title or {}),
        sort_order=row.sort_order,
        limits=limits_of(row),
        options=dict(row.options or {}),
        base_url=row.base_url,
        test_mode=row.test_mode,
        secrets_set=sorted(row.secret_names or []),
        webhook_url=webhook_url(deps, row.tenant_id, row.provider),
    )


async def decrypted(deps: Deps, uow: UnitOfWork, row: ProviderConfigRow) -> ProviderConfig:
    """The adapter's view of the settings, secrets decrypted (never to leave the core). A provider
    that acts as the tenant's bot (`uses_bot_token`) also gets the tenant's bot token as the
    secret `bot_token` (absent when the tenant has none: the adapter refuses to call then)."""
    secrets = _stored_secrets(deps, row)
    declared = deps.payment_adapters.get(row.provider) or deps.fulfillment_adapters.get(row.provider)
    if uses_bot_token(declared):
        token = await bot_token(deps, uow, row.tenant_id)
        if token:
            secrets[BOT_TOKEN] = token
    declared_scales = {asset.code: asset.scale for asset in await tenant_assets(uow, row.tenant_id)}
    return ProviderConfig(
        provider=row.provider,
        scales={**WELL_KNOWN_SCALES, **declared_scales},
        secrets=secrets,
        options={str(k): str(v) for k, v in (row.options or {}).items()},
        base_url=row.base_url,
        test_mode=row.test_mode,
        webhook_url=webhook_url(deps, row.tenant_id, row.provider),
    )


def adapter_of(deps: Deps, provider: str, field: str = "provider") -> PaymentAdapter:
    adapter = deps.payment_adapters.get(provider)
    if adapter is None:
        raise _unknown(deps.payment_adapters, provider, field)
    return adapter


def declared_of(deps: Deps, provider: str, field: str = "provider") -> Configurable:
    """The settings declaration of any provider, payment or fulfillment."""
    known: dict[str, Configurable] = {**deps.payment_adapters, **deps.fulfillment_adapters}
    if provider not in known:
        raise _unknown(known, provider, field)
    return known[provider]


def _unknown(known: Mapping[str, object], provider: str, field: str) -> InvalidArgument:
    names = ", ".join(sorted(known)) or "none"
    return InvalidArgument([Violation(field, f"unknown provider {provider[:40]!r} (known: {names})")])


async def configured(deps: Deps, uow: UnitOfWork, tenant: uuid.UUID, provider: str) -> ProviderConfigRow:
    row = await repo.get_config(uow, tenant, provider)
    if row is None:
        raise ProviderNotConfigured(provider)
    return row


@contextmanager
def provider_call() -> Iterator[None]:
    """An adapter's failures as the domain's: unknown outcome -> UNAVAILABLE, refusal -> FAILED_PRECONDITION."""
    try:
        yield
    except ProviderUnavailable as error:
        raise ProviderDown(str(error)) from None
    except (ProviderRejected, SignatureInvalid) as error:
        raise ProviderRefused(str(error)[:500]) from None


def _check_limits(v: Violations, limits: Sequence[Limit]) -> list[Limit]:
    if len(limits) > MAX_LIMITS:
        v.add("config.limits", f"at most {MAX_LIMITS}")
    cleaned, seen = [], set()
    for index, limit in enumerate(limits):
        field = f"config.limits[{index}]"
        asset = check_asset(v, f"{field}.asset", limit.asset)
        if asset in seen:
            v.add(f"{field}.asset", "repeats an asset")
        seen.add(asset)
        low, high = limit.min or 1, limit.max or MAX_AMOUNT
        if not 1 <= low <= MAX_AMOUNT:
            v.add(f"{field}.min_minor", f"must be between 1 and {MAX_AMOUNT}")
        if not 1 <= high <= MAX_AMOUNT:
            v.add(f"{field}.max_minor", f"must be between 1 and {MAX_AMOUNT}")
        elif low > high:
            v.add(f"{field}.max_minor", "must not be below min_minor")
        cleaned.append(Limit(asset, low, high))
    return cleaned


def _check_fields(
    v: Violations, adapter: Configurable, options: Mapping[str, str], secrets: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    cleaned_options: dict[str, str] = {}
    for name, value in options.items():
        if name not in adapter.option_fields:
            v.add(f"config.options[{name[:40]}]", f"unknown option (known: {', '.join(adapter.option_fields)})")
        else:
            cleaned_options[name] = v.check_text(f"config.options[{name}]", value, max_length=OPTION_LIMIT)
    cleaned_secrets: dict[str, str] = {}
    for name, value in secrets.items():
        if name not in adapter.secret_fields:
            v.add(f"secrets[{name[:40]}]", f"unknown secret (known: {', '.join(adapter.secret_fields)})")
        elif len(value) > SECRET_LIMIT or any(ord(c) < 32 or ord(c) == 127 for c in value.strip()):
            v.add(f"secrets[{name}]", f"must be at most {SECRET_LIMIT} characters without control characters")
        else:
            cleaned_secrets[name] = value.strip()
    return cleaned_options, cleaned_secrets


def _public_host(url: str) -> bool:
    """Whether the URL's host may be called on a tenant's behalf: the core must not be pointed at
    itself, the machine's other services or a cloud's metadata address. Names are checked as
    written (localhost) here; what a name resolves to is checked on every connection
    (providers/public_only.py)."""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return False
    if not host or host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return True  # a name


def _check_settings(v: Violations, settings: ProviderSettings, insecure_urls: bool) -> ProviderSettings:
    title: dict[str, str] = {}
    for locale, text in settings.title.items():
        if locale not in LOCALES:
            v.add(f"config.title[{locale[:10]}]", f"locale must be one of {', '.join(LOCALES)}")
        else:
            title[locale] = v.check_text(f"config.title[{locale}]", text, max_length=TITLE_LIMIT)
    base = settings.base_url.strip()
    if base:
        scheme_ok = base.lower().startswith("https://") or (insecure_urls and base.lower().startswith("http://"))
        if len(base) > URL_LIMIT or not BASE_URL.match(base) or not scheme_ok:
            v.add("config.base_url", f"must be an https URL of at most {URL_LIMIT} characters, without a query")
        elif not insecure_urls and not _public_host(base):
            v.add("config.base_url", "must name a public host (not localhost, a private or a link-local address)")
    if not -1_000_000 <= settings.sort_order <= 1_000_000:
        v.add("config.sort_order", "must be between -1000000 and 1000000")
    limits = _check_limits(v, settings.limits)
    return ProviderSettings(
        provider=settings.provider,
        enabled=settings.enabled,
        title=title,
        sort_order=settings.sort_order,
        limits=limits,
        options=settings.options,
        base_url=base.rstrip("/"),
        test_mode=settings.test_mode,
    )


def _stored_secrets(deps: Deps, row: ProviderConfigRow | None) -> dict[str, str]:
    if row is None or not row.secrets:
        return {}
    stored: dict[str, str] = json.loads(deps.secrets.decrypt(row.secrets, _secret_context(row.tenant_id, row.provider)))
    return stored


def _audit_view(row: ProviderConfigRow | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {
        "enabled": row.enabled,
        "limits": row.limits,
        "options": row.options,
        "secrets_set": row.secret_names,
        "base_url": row.base_url,
        "test_mode": row.test_mode,
    }


class ProviderConfigService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def providers(self) -> list[ProviderInfo]:
        known: dict[str, Configurable] = {**self._deps.payment_adapters, **self._deps.fulfillment_adapters}
        return [ProviderInfo(n, a.secret_fields, a.option_fields, a.required_fields) for n, a in sorted(known.items())]

    async def set_config(
        self, actor: Actor, settings: ProviderSettings, secrets: Mapping[str, str]
    ) -> ProviderSettings:
        """Create or replace one provider's settings; secrets not named keep their value."""
        v = Violations()
        provider = settings.provider.strip()
        if not provider:
            v.add("config.provider", "is required")
            v.raise_if_any()
        adapter = declared_of(self._deps, provider, "config.provider")
        takes_payments = provider in self._deps.payment_adapters
        checked = _check_settings(v, settings, self._deps.insecure_provider_urls)
        options, new_secrets = _check_fields(v, adapter, settings.options, secrets)
        v.raise_if_any()
        tenant, now = actor.tenant, self._deps.clock.now()
        async with self._deps.uow() as uow:
            for limit in checked.limits:
                await require_asset(uow, tenant, limit.asset)
            row = await repo.get_config(uow, tenant, provider, for_update=True)
            before = _audit_view(row)
            stored = _stored_secrets(self._deps, row)
            stored.update(new_secrets)
            stored = {name: value for name, value in stored.items() if value}
            missing = [f for f in adapter.required_fields if not (stored.get(f) or options.get(f))]
            if checked.enabled and (missing or (takes_payments and not checked.limits)):
                what = ", ".join(missing) if missing else "limits (at least one asset)"
                raise ProviderConfigIncomplete(f"{provider} cannot be enabled without {what}")
            if row is None:
                row = ProviderConfigRow(tenant_id=tenant, provider=provider)
                await repo.add(uow, row)
            row.enabled, row.title, row.sort_order = checked.enabled, dict(checked.title), checked.sort_order
            row.limits = [{"asset": lim.asset, "min": lim.min, "max": lim.max} for lim in checked.limits]
            row.options, row.base_url, row.test_mode = options, checked.base_url, checked.test_mode
            row.secret_names = sorted(stored)
            row.secrets = (
                self._deps.secrets.encrypt(json.dumps(stored), _secret_context(tenant, provider)) if stored else None
            )
            row.updated_at = now
            await uow.session.flush()
            target = ("provider_config", provider)
            audit.record(uow, actor, "", "provider_config.set", target, "", before, _audit_view(row), now)
            result = to_settings(self._deps, row)
            await uow.commit()
        return result

    async def list_configs(self, actor: Actor) -> list[ProviderSettings]:
        async with self._deps.read_uow() as uow:
            rows = await repo.list_configs(uow, actor.tenant)
            return [to_settings(self._deps, row) for row in rows]

    async def test_config(self, actor: Actor, provider: str) -> None:
        """One harmless authenticated call with the stored settings (enabled or not), for payment
        and fulfillment providers alike."""
        if not provider:
            raise InvalidArgument([Violation("provider", "is required")])
        adapter: PaymentAdapter | FulfillmentAdapter | None = self._deps.fulfillment_adapters.get(provider)
        if adapter is None:
            adapter = adapter_of(self._deps, provider)
        async with self._deps.read_uow() as uow:
            row = await configured(self._deps, uow, actor.tenant, provider)
            config = await decrypted(self._deps, uow, row)
        with provider_call():
            await adapter.check_config(config)
