"""`billing-hub core|http|bots|migrate|up`: run the hub's processes in the foreground.

Each imports its process's modules only when invoked: the admin commands must not pay for (or
need) SQLAlchemy, Quart or aiogram.
"""

from __future__ import annotations

import argparse
import sys

from billing_hub.output import warn


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


def run_core(args: argparse.Namespace) -> int:
    from core_server.app import main  # lazy: only this command needs the core

    main()
    return 0


def run_http(args: argparse.Namespace) -> int:
    from http_gateway.__main__ import main  # lazy: only this command needs Quart

    return main()


def run_bots(args: argparse.Namespace) -> int:
    from bot_gateway.__main__ import main  # lazy: only this command needs aiogram

    return main()


def run_migrate(args: argparse.Namespace) -> int:
    # lazy: only this command needs SQLAlchemy and Alembic
    from core_server.config import Settings
    from core_server.logs import configure_logging
    from core_server.store.migrate import upgrade_to_head

    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    try:
        upgrade_to_head(settings)
    except Exception as error:  # report, don't dump a traceback on the operator
        print(f"error: migration failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print("the database schema is up to date")
    return 0


def run_up(args: argparse.Namespace) -> int:
    from billing_hub.supervisor import run_supervisor  # lazy, like the others

    if getattr(args, "json", False):
        warn("--json has no effect on `up`")
    return run_supervisor(getattr(args, "target", None))
