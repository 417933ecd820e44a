"""The adapters by name, found by scanning this package.

A payment provider module declares `ADAPTER = <its class>`, a fulfillment provider module
`FULFILLMENT_ADAPTER = <its class>`; nothing else names them, so adding a provider is one module
(plus its fake server and tests) and no edit here or in the domain.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from core_server.domain.provider_api import FulfillmentAdapter, PaymentAdapter

_NOT_PROVIDERS = frozenset({"registry", "http"})


def _adapter_classes(attribute: str) -> Iterator[Any]:
    package = importlib.import_module(__package__ or "core_server.providers")
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_") or module_info.name in _NOT_PROVIDERS:
            continue
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        adapter = getattr(module, attribute, None)
        if adapter is not None:
            yield adapter


def _build(attribute: str, client: httpx.AsyncClient) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for cls in _adapter_classes(attribute):
        if cls.name in found:
            raise RuntimeError(f"two provider modules declare the name {cls.name!r}")
        found[cls.name] = cls(client)
    return found


def payment_adapters(client: httpx.AsyncClient) -> Mapping[str, PaymentAdapter]:
    """Every payment adapter of this package, built on one shared HTTP client."""
    return _build("ADAPTER", client)


def fulfillment_adapters(client: httpx.AsyncClient) -> Mapping[str, FulfillmentAdapter]:
    """Every fulfillment adapter of this package, built on one shared HTTP client."""
    return _build("FULFILLMENT_ADAPTER", client)
