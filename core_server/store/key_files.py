"""Private files in the data folder (master key, platform and gateway keys): 0600, whole, never via a planted name.

Every such file is written here, one way: the content goes to a fresh temporary file beside the
target, named with a random suffix and created with `O_CREAT | O_EXCL | O_NOFOLLOW`, so a stale
temporary file left by a crash, or a symlink someone planted, is never reused, truncated or
followed. The file is `fchmod`ed to 0600 (whatever the umask), written, fsynced, and only then given
its name, so a reader sees either no file or the whole key, and the directory is fsynced so the
name survives a power cut.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

PRIVATE_MODE = 0o600
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def write_private_file(path: Path, text: str, *, replace: bool = True) -> bool:
    """Write `text` to `path` with mode 0600; True when `path` now holds it.

    `replace=True` puts the new file in place with `os.replace`: whatever `path` was (an old key,
    a file with an open mode, a symlink) is replaced itself, never written through. `replace=False`
    creates `path` only if nothing is there, with `os.link`, which fails on any existing name,
    symlinks included: then it returns False and leaves `path` alone (for a key that must never
    change once written, such as the master key, even when two processes start at once).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, _CREATE_FLAGS, PRIVATE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), PRIVATE_MODE)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, path)
            written = True
        else:
            written = _link_if_absent(temporary, path)
            os.unlink(temporary)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    if written:
        _sync_directory(path.parent)
    return written


def _link_if_absent(source: Path, target: Path) -> bool:
    try:
        os.link(source, target)
    except FileExistsError:
        return False
    return True


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
