"""`billing_hub` starts the core and the gateways as processes and imports none of them; the core
knows nothing of its launcher or of the gateways.

Checked in a fresh interpreter, because this test process has every package loaded for other suites.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from billing_hub.supervisor import HubSettings
from core_server.config import Settings
from http_gateway.settings import HttpGatewaySettings

REPO = Path(__file__).resolve().parents[2]


def loaded_after_importing(package: str, skip: tuple[str, ...] = ()) -> list[str]:
    """Top-level packages loaded after importing every module of `package` (no `__main__`)."""
    script = (
        "import importlib, pkgutil, sys\n"
        f"import {package}\n"
        f"for module in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
        f"    if module.name.endswith('__main__') or module.name.startswith({skip!r}):\n"
        "        continue\n"
        "    importlib.import_module(module.name)\n"
        "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_billing_hub_imports_no_core_and_no_gateway() -> None:
    loaded = loaded_after_importing("billing_hub")

    assert "sdk" in loaded
    assert {"core_server", "http_gateway", "bot_gateway"}.isdisjoint(loaded)


def test_core_imports_no_gateway_and_not_its_launcher() -> None:
    # the migrations' env.py runs only inside Alembic
    loaded = loaded_after_importing("core_server", skip=("core_server.store.migrations",))

    assert {"billing_hub", "http_gateway", "bot_gateway"}.isdisjoint(loaded)


@pytest.mark.parametrize(("setting", "owner"), [("grpc_listen", Settings), ("http_listen", HttpGatewaySettings)])
def test_up_reads_the_listen_addresses_its_children_will_use(setting: str, owner: type) -> None:
    assert HubSettings.model_fields[setting].default == owner.model_fields[setting].default
