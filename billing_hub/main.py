"""The `billing-hub` entry point: parse, run one command, turn failures into one line and an exit code.

Exit codes: 0 success, 2 invalid arguments (argparse's usage errors and the core's
INVALID_ARGUMENT alike), 1 any other failure, 130 interrupted. No traceback reaches the
terminal for an expected failure.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from billing_hub import keys, services, tenants
from billing_hub.connection import CliEnvironment, open_client, resolve_target
from sdk.credentials import MissingApiKey
from sdk.errors import BillingHubError, InvalidArgument, Unavailable
from sdk.settings_errors import load_settings

EXIT_FAILURE = 1
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130


def common_options() -> argparse.ArgumentParser:
    """Options accepted before or after the subcommand (`--json tenant list` = `tenant list --json`).

    SUPPRESS keeps a subcommand's unset option from overwriting one given before it.
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--target",
        default=argparse.SUPPRESS,
        help="the core's address (env BILLING_HUB_CORE_TARGET, default 127.0.0.1:50051)",
    )
    common.add_argument(
        "--api-key",
        default=argparse.SUPPRESS,
        help="API key (env BILLING_HUB_API_KEY, else BILLING_HUB_PLATFORM_KEY, else <data_dir>/platform.key)",
    )
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    return common


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree."""
    common = common_options()
    parser = argparse.ArgumentParser(
        prog="billing-hub", description="Billing Hub: run the hub, manage tenants and API keys.", parents=[common]
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    services.add_parsers(commands, common)
    tenants.add_parsers(commands, common)
    keys.add_parsers(commands, common)
    return parser


def print_error(error: BillingHubError, target: str) -> None:
    """One `error:` line, then what helps: field violations, the reason, the request id."""
    if isinstance(error, Unavailable):
        print(f"error: cannot reach the core at {target} (is it running? `billing-hub up` starts it)", file=sys.stderr)
        return
    reason = f" [{error.reason}]" if error.reason else ""
    print(f"error: {error.message or error.code.name}{reason}", file=sys.stderr)
    for violation in error.field_violations:
        print(f"  {violation.field}: {violation.description}", file=sys.stderr)
    if error.request_id:
        print(f"  request id: {error.request_id}", file=sys.stderr)


async def run_admin(args: argparse.Namespace) -> None:
    """Run an SDK-backed command with a client that is closed afterwards."""
    async with open_client(args) as client:
        await args.handler(client, args)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` (default: sys.argv) and run the command; returns the exit code."""
    args = build_parser().parse_args(argv)
    args.json = getattr(args, "json", False)
    try:
        if hasattr(args, "runner"):
            code: int = args.runner(args)
            return code
        asyncio.run(run_admin(args))
    except InvalidArgument as error:
        print_error(error, _target(args))
        return EXIT_INVALID
    except BillingHubError as error:
        print_error(error, _target(args))
        return EXIT_FAILURE
    except (MissingApiKey, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return 0


def _target(args: argparse.Namespace) -> str:
    return resolve_target(args, load_settings(CliEnvironment))
