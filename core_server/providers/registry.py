"""The adapters by name, found by scanning this package.

A provider module declares `ADAPTER = <its class>`; nothing else names it, so adding a provider
is one module (plus its fake server and tests) and no edit here or in the domain.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping

import httpx

from core_server.domain.provider_api import PaymentAdapter

_NOT_PROVIDERS = frozenset({"registry", "http"})


def _adapter_classes() -> Iterator[type[PaymentAdapter]]:
    package = importlib.import_module(__package__ or "core_server.providers")
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_") or module_info.name in _NOT_PROVIDERS:
            continue
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        adapter = getattr(module, "ADAPTER", None)
        if adapter is not None:
            yield adapter


def payment_adapters(client: httpx.AsyncClient) -> Mapping[str, PaymentAdapter]:
    """Every payment adapter of this package, built on one shared HTTP client."""
    found: dict[str, PaymentAdapter] = {}
    for cls in _adapter_classes():
        if cls.name in found:
            raise RuntimeError(f"two provider modules declare the name {cls.name!r}")
        found[cls.name] = cls(client)  # type: ignore[call-arg]
    return found
