"""First start of the core: the platform owner's key, from the environment or generated once."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from core_server.app import StartupError, prepare
from core_server.config import Settings
from core_server.domain.actor import Role
from core_server.domain.tenancy.api_keys import format_key, new_secret
from core_server.domain.tenancy.bootstrap import BootstrapError
from core_server.store.db import Database, open_database
from core_server.store.ids import new_id
from core_server.store.migrate import upgrade_database
from core_server.store.repositories import tenants as tenant_repo


@pytest.fixture
async def fresh(tmp_path: Path) -> AsyncIterator[tuple[Settings, Database]]:
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]
    db = open_database(settings.effective_database_url)
    await upgrade_database(db)
    yield settings, db
    await db.dispose()


async def test_first_start_writes_private_key_files_once(
    fresh: tuple[Settings, Database], capsys: pytest.CaptureFixture[str]
) -> None:
    settings, db = fresh
    await prepare(settings, db)
    platform_file = settings.data_dir / "platform.key"
    key = platform_file.read_text().strip()
    assert key.startswith("bh_platform_")
    assert key in capsys.readouterr().err  # printed once, at creation
    for name in ("platform.key", "gateway.key", "master.key"):
        assert stat.S_IMODE(os.stat(settings.data_dir / name).st_mode) == 0o600
    await prepare(settings, db)
    assert platform_file.read_text().strip() == key
    assert key not in capsys.readouterr().err


@pytest.mark.parametrize("leftover", ["stale file 0644", "symlink elsewhere"])
async def test_leftover_tmp_files_neither_weaken_nor_redirect_the_key_files(
    fresh: tuple[Settings, Database], tmp_path: Path, leftover: str
) -> None:
    """Defect 17: a `platform.tmp` left by a crash, or planted, must not decide the key file's mode or target."""
    settings, db = fresh  # the data folder exists: the database is in it
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours\n")
    victim.chmod(0o644)
    for name in ("platform.tmp", "gateway.tmp"):
        stale = settings.data_dir / name
        if leftover == "stale file 0644":
            stale.write_text("stale\n")
            stale.chmod(0o644)
        else:
            stale.symlink_to(victim)

    await prepare(settings, db)

    for name in ("platform.key", "gateway.key"):
        key_file = settings.data_dir / name
        assert not key_file.is_symlink()
        assert stat.S_IMODE(key_file.lstat().st_mode) == 0o600, name
        assert key_file.read_text().startswith(f"bh_{name.removesuffix('.key')}_")
    assert victim.read_text() == "not yours\n"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644


async def test_key_from_the_environment_is_adopted(fresh: tuple[Settings, Database]) -> None:
    settings, db = fresh
    key_id = new_id()
    key = format_key(Role.PLATFORM, key_id, new_secret())
    settings = settings.model_copy(update={"platform_key": SecretStr(key)})
    deps = await prepare(settings, db)
    async with deps.uow() as uow:
        row = await tenant_repo.get_api_key(uow, key_id)
    assert row is not None and row.role == "platform"
    await prepare(settings, db)  # a restart with the same key is fine


async def test_a_mismatched_environment_key_stops_the_start(fresh: tuple[Settings, Database]) -> None:
    settings, db = fresh
    key_id = new_id()
    await prepare(
        settings.model_copy(update={"platform_key": SecretStr(format_key(Role.PLATFORM, key_id, new_secret()))}), db
    )
    with pytest.raises(BootstrapError):
        await prepare(
            settings.model_copy(update={"platform_key": SecretStr(format_key(Role.PLATFORM, key_id, new_secret()))}), db
        )
    with pytest.raises(BootstrapError):
        await prepare(settings.model_copy(update={"platform_key": SecretStr("bh_gateway_" + key_id.hex + "_x")}), db)


async def test_an_unmigrated_database_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    db = open_database(settings.effective_database_url)
    try:
        with pytest.raises(StartupError, match="billing-hub migrate"):
            await prepare(settings, db)
    finally:
        await db.dispose()
