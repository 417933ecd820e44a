"""`billing-hub core|http|bots|migrate|up`: run the hub's processes in the foreground.

Each process command becomes its process: `core`, `http`, `bots` and `migrate` replace this
process with `python -m <package>` (exec), so signals reach the process itself, its exit code is
the command's, and in a container it is PID 1 as if started directly. `up` runs them all as
children (`billing_hub.supervisor`). This package therefore imports none of them: the owner
commands need no SQLAlchemy, Quart or aiogram, and the packages started stay free of their launcher.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import NoReturn

from billing_hub.output import warn
from billing_hub.supervisor import BOTS_MODULE, CORE_MODULE, HTTP_MODULE, MIGRATE_MODULE, run_supervisor


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    """Register the process commands."""
    up = commands.add_parser(
        "up", help="migrate, then run the core and both gateways, restarting any that dies", parents=[common]
    )
    up.set_defaults(runner=run_up)
    commands.add_parser("core", help="run the core (gRPC server)", parents=[common]).set_defaults(runner=run_core)
    commands.add_parser("http", help="run the HTTP gateway", parents=[common]).set_defaults(runner=run_http)
    commands.add_parser("bots", help="run the bot gateway", parents=[common]).set_defaults(runner=run_bots)
    migrate = commands.add_parser("migrate", help="bring the database schema up to date", parents=[common])
    migrate.set_defaults(runner=run_migrate)


def become(module: str, env: Mapping[str, str] | None = None) -> NoReturn:
    """Replace this process with `python -m module` run by this interpreter."""
    sys.stdout.flush()
    sys.stderr.flush()
    argv = [sys.executable, "-m", module]
    os.execve(sys.executable, argv, dict(os.environ if env is None else env))  # noqa: S606  # our own package


def gateway_environment(args: argparse.Namespace) -> dict[str, str]:
    """This environment, with `--target` (when given) as the core the gateway calls."""
    target: str | None = getattr(args, "target", None)
    return {**os.environ, "BILLING_HUB_CORE_TARGET": target} if target else dict(os.environ)


def run_core(args: argparse.Namespace) -> int:
    become(CORE_MODULE)


def run_http(args: argparse.Namespace) -> int:
    become(HTTP_MODULE, gateway_environment(args))


def run_bots(args: argparse.Namespace) -> int:
    become(BOTS_MODULE, gateway_environment(args))


def run_migrate(args: argparse.Namespace) -> int:
    become(MIGRATE_MODULE)


def run_up(args: argparse.Namespace) -> int:
    if getattr(args, "json", False):
        warn("--json has no effect on `up`")
    return run_supervisor(getattr(args, "target", None))
