"""Key files (master, platform and gateway keys) are written private, whole, and never through a planted name."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from core_server.store.key_files import write_private_file
from core_server.store.secret_box import load_or_create_key_file


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """umask 000: the file's mode must not depend on the umask the process was started with."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.mark.usefixtures("permissive_umask")
def test_a_new_file_is_0600_and_nothing_else_is_left_in_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "data" / "platform.key"

    assert write_private_file(path, "secret\n") is True

    assert path.read_text() == "secret\n"
    assert mode(path) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["platform.key"]


def test_replacing_makes_an_open_file_private(tmp_path: Path) -> None:
    path = tmp_path / "platform.key"
    path.write_text("old\n")
    path.chmod(0o644)

    assert write_private_file(path, "new\n") is True

    assert (path.read_text(), mode(path)) == ("new\n", 0o600)


def test_replacing_a_symlink_replaces_the_link_not_its_target(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours\n")
    path = tmp_path / "platform.key"
    path.symlink_to(victim)

    write_private_file(path, "new\n")

    assert not path.is_symlink()
    assert (path.read_text(), mode(path)) == ("new\n", 0o600)
    assert victim.read_text() == "not yours\n"


@pytest.mark.parametrize("existing", ["file", "symlink"])
def test_exclusive_creation_never_touches_what_is_there(tmp_path: Path, existing: str) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours\n")
    path = tmp_path / "master.key"
    if existing == "file":
        path.write_text("first\n")
    else:
        path.symlink_to(victim)

    assert write_private_file(path, "second\n", replace=False) is False

    assert victim.read_text() == "not yours\n"
    assert path.read_text() == ("first\n" if existing == "file" else "not yours\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.key", "victim.txt"]


@pytest.mark.usefixtures("permissive_umask")
def test_master_key_is_created_once_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "data" / "master.key"
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "master.tmp").write_text("stale\n")

    key = load_or_create_key_file(path)

    assert len(key) == 32
    assert mode(path) == 0o600
    assert load_or_create_key_file(path) == key
