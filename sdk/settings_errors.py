"""A refused `BILLING_HUB_*` setting as the one line an operator reads, for every process of the
hub (the core, both gateways, `billing-hub up`): which variable and what is wrong with it, never
its value (it may be a key), and no traceback. Each process prints it as `error: ...` and exits 2."""

from __future__ import annotations

import sys
from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings

PREFIX = "BILLING_HUB_"
S = TypeVar("S", bound=BaseSettings)


def settings_problem(error: ValidationError) -> str:
    """`bad setting: <VARIABLE>: <what is wrong>[; ...]` for a settings class read with PREFIX."""
    problems = []
    for item in error.errors():
        name = PREFIX + "_".join(str(part) for part in item["loc"]).upper()
        problems.append(f"{name}: {item['msg']}")
    return "bad setting: " + "; ".join(problems)


def load_settings(settings_class: type[S]) -> S:
    """The process's settings from its environment; on a refused one, the line above on stderr
    and exit code 2 (a process that cannot start with its configuration, as the core's other
    start-up failures)."""
    try:
        return settings_class()
    except ValidationError as error:
        sys.stderr.write(f"error: {settings_problem(error)}\n")
        raise SystemExit(2) from None
