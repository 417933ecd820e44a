"""First start: make sure the platform owner (and, on the embedded default, the local gateways)
have a key.

A key given in the environment (`BILLING_HUB_PLATFORM_KEY`, `BILLING_HUB_GATEWAY_KEY`) is adopted
as is: its id and hash are stored, so the same string works across restarts and replicas. With no
key in the environment and none in the database, a platform key is generated and printed once; on
the embedded default it is also written, mode 0600, to the data folder, where the CLI and the
gateways of `billing-hub up` find it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from core_server.domain.actor import Role
from core_server.domain.deps import Deps
from core_server.domain.tenancy.api_keys import hash_secret, insert_key, parse_key
from core_server.store.key_files import write_private_file
from core_server.store.repositories import tenants as tenant_repo


class BootstrapError(Exception):
    """A key given in the environment is not a valid key of the expected role."""


@dataclass(frozen=True, slots=True)
class KeySource:
    """Where a bootstrap key comes from: the environment, or (embedded default) a file."""

    role: Role
    from_env: str | None
    file: Path | None
    name: str


async def ensure_key(deps: Deps, source: KeySource) -> str | None:
    """Adopt the environment's key, or create one when there is no usable key; returns a newly
    created key string (to print once), or None when nothing was created."""
    if source.from_env:
        await _adopt(deps, source.role, source.from_env, source.name)
        return None
    if source.file is not None and source.file.exists():
        existing = source.file.read_text().strip()
        if await _is_valid(deps, source.role, existing):
            return None
    async with deps.uow() as uow:
        if source.file is None and await tenant_repo.has_active_key(uow, source.role.value):
            return None
        _key, secret = await insert_key(uow, source.role, None, source.name)
        await uow.commit()
    if source.file is not None:
        write_private_file(source.file, secret + "\n")
    return secret


async def _adopt(deps: Deps, role: Role, text: str, name: str) -> None:
    parsed = parse_key(text.strip())
    if parsed is None or parsed.role is not role:
        raise BootstrapError(f"the {role.value} key in the environment is not a `bh_{role.value}_...` key")
    async with deps.uow() as uow:
        row = await tenant_repo.get_api_key(uow, parsed.key_id)
        if row is None:
            await insert_key(uow, role, None, name, key_id=parsed.key_id, secret=parsed.secret)
            await uow.commit()
        elif row.secret_hash != hash_secret(parsed.secret) or row.role != role.value or row.revoked_at is not None:
            raise BootstrapError(f"the {role.value} key in the environment is revoked or does not match its id")


async def _is_valid(deps: Deps, role: Role, text: str) -> bool:
    parsed = parse_key(text)
    if parsed is None or parsed.role is not role:
        return False
    async with deps.read_uow() as uow:
        row = await tenant_repo.get_api_key(uow, parsed.key_id)
    return bool(row and row.revoked_at is None and row.secret_hash == hash_secret(parsed.secret))


def announce(secret: str, role: Role, file: Path | None) -> None:
    """Print a new key once, to the terminal, never to the structured logs."""
    where = f" (also saved to {file}, mode 0600)" if file else ""
    print(
        f"\n  A {role.value} key was created{where}. It is shown only now:\n\n    {secret}\n",
        file=sys.stderr,
        flush=True,
    )
