"""Where a process finds its API key: the environment first, else the key file the core wrote.

On the embedded default the core writes `platform.key` and `gateway.key` into its data folder
on first start, so a local `billing-hub up` needs no configuration; in production the key comes
from the environment (a secret store). The gateways and the CLI all resolve their key here, so
the rule and its error message exist once.
"""

from __future__ import annotations

from pathlib import Path


class MissingApiKey(Exception):
    """Neither an explicit key nor a readable key file was found."""


def load_api_key(explicit: str | None, key_file: Path, *, env_var: str = "") -> str:
    """The explicit key when given (non-blank), else the stripped contents of `key_file`.

    `env_var` only improves the error message (it names the variable the caller reads).
    """
    if explicit and explicit.strip():
        return explicit.strip()
    hint = f"set {env_var} or " if env_var else "pass a key or "
    try:
        key = key_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise MissingApiKey(f"no API key: {hint}create {key_file} (the core writes it on its first start)") from None
    except OSError as error:
        raise MissingApiKey(f"no API key: cannot read {key_file}: {error.strerror}") from None
    if not key:
        raise MissingApiKey(f"no API key: {key_file} is empty; {hint}rewrite the file")
    return key


_ROLES = ("tenant_admin", "platform", "gateway", "partner")


def key_id(api_key: str) -> str:
    """The loggable id part of a `bh_<role>_<id>_<secret>` key ("?" when it has another shape).

    Logs may name which key a process uses, never the key itself. The role may contain "_"
    (tenant_admin) and so may the secret, so the id is found after a known role prefix.
    """
    for role in _ROLES:
        prefix = f"bh_{role}_"
        if api_key.startswith(prefix):
            ident, sep, secret = api_key[len(prefix) :].partition("_")
            return ident if sep and ident and secret else "?"
    return "?"
