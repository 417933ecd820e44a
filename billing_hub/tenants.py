"""`billing-hub tenant ...`: create, list, show, suspend and resume tenants, and set or remove a
tenant's bot token, through the SDK.

A bot token is read from a file (or stdin), never from the command line, where it would land in
shell history and in the process list.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from google.protobuf.field_mask_pb2 import FieldMask

from billing_hub.output import enum_label, message_dict, print_fields, print_json, print_table, timestamp
from sdk.billinghub.v1 import platform_service_pb2, tenant_pb2
from sdk.client import BillingHubClient

PAGE_SIZE = 200
STATUSES: dict[str, tenant_pb2.TenantStatus] = {
    "active": tenant_pb2.TENANT_STATUS_ACTIVE,
    "suspended": tenant_pb2.TENANT_STATUS_SUSPENDED,
}


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    """Register `tenant` and its subcommands."""
    tenant = commands.add_parser("tenant", help="manage tenants", parents=[common])
    sub = tenant.add_subparsers(
        dest="tenant_command", required=True, metavar="{create,list,show,set-bot-token,suspend,resume}"
    )

    create = sub.add_parser("create", help="create a tenant", parents=[common])
    create.add_argument("name", help="the tenant's name")
    create.add_argument("--locale", default="", help="default language: ru, en or uk (en when omitted)")
    create.add_argument("--time-zone", default="", help="IANA time zone, e.g. Europe/Moscow (UTC when omitted)")
    create.add_argument("--bot-token-file", type=Path, help="file holding the Telegram bot token ('-' for stdin)")
    create.set_defaults(handler=create_tenant)

    listing = sub.add_parser("list", help="list tenants", parents=[common])
    listing.add_argument("--status", choices=sorted(STATUSES), help="only tenants with this status")
    listing.set_defaults(handler=list_tenants)

    show = sub.add_parser("show", help="show one tenant", parents=[common])
    show.add_argument("tenant_id", metavar="ID")
    show.set_defaults(handler=show_tenant)

    bot_token = sub.add_parser(
        "set-bot-token", help="give a tenant its Telegram bot token (the bot gateway starts the bot)", parents=[common]
    )
    bot_token.add_argument("tenant_id", metavar="ID")
    token_source = bot_token.add_mutually_exclusive_group(required=True)
    token_source.add_argument("--bot-token-file", type=Path, help="file holding the token ('-' for stdin)")
    token_source.add_argument("--remove", action="store_true", help="remove the token (the bot stops)")
    bot_token.set_defaults(handler=set_bot_token)

    suspend = sub.add_parser("suspend", help="suspend a tenant (its keys stop working)", parents=[common])
    suspend.add_argument("tenant_id", metavar="ID")
    suspend.add_argument("--reason", required=True, help="why, for the audit trail")
    suspend.set_defaults(handler=suspend_tenant)

    resume = sub.add_parser("resume", help="resume a suspended tenant", parents=[common])
    resume.add_argument("tenant_id", metavar="ID")
    resume.set_defaults(handler=resume_tenant)


def read_bot_token(path: Path | None) -> str:
    """The token in `path` (stdin for '-'), stripped; empty when no path was given."""
    if path is None:
        return ""
    text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    return text.strip()


def _row(tenant: tenant_pb2.Tenant) -> list[str]:
    return [
        tenant.id,
        tenant.name,
        enum_label(tenant_pb2.TenantStatus.Name(tenant.status), "TENANT_STATUS_"),
        tenant.default_locale,
        tenant.time_zone,
        "yes" if tenant.has_bot_token else "no",
        timestamp(tenant.create_time),
    ]


HEADERS = ["ID", "NAME", "STATUS", "LOCALE", "TIME ZONE", "BOT", "CREATED"]


def show(tenant: tenant_pb2.Tenant, as_json: bool) -> None:
    """Print one tenant."""
    if as_json:
        print_json(message_dict(tenant))
        return
    fields = list(zip(HEADERS, _row(tenant), strict=True))
    if tenant.suspended_reason:
        fields.append(("SUSPENDED", tenant.suspended_reason))
    fields.append(("UPDATED", timestamp(tenant.update_time)))
    print_fields([(name.lower(), value) for name, value in fields])


async def create_tenant(client: BillingHubClient, args: argparse.Namespace) -> None:
    request = platform_service_pb2.CreateTenantRequest(
        name=args.name,
        default_locale=args.locale,
        time_zone=args.time_zone,
        bot_token=read_bot_token(args.bot_token_file),
    )
    response: platform_service_pb2.CreateTenantResponse = await client.platform.CreateTenant(request)
    show(response.tenant, args.json)


async def list_tenants(client: BillingHubClient, args: argparse.Namespace) -> None:
    tenants: list[tenant_pb2.Tenant] = []
    page_token = ""
    while True:
        request = platform_service_pb2.ListTenantsRequest(
            page_size=PAGE_SIZE,
            page_token=page_token,
            status=STATUSES[args.status] if args.status else tenant_pb2.TENANT_STATUS_UNSPECIFIED,
        )
        response: platform_service_pb2.ListTenantsResponse = await client.platform.ListTenants(request)
        tenants.extend(response.tenants)
        page_token = response.next_page_token
        if not page_token:
            break
    if args.json:
        print_json({"tenants": [message_dict(tenant) for tenant in tenants]})
    else:
        print_table(HEADERS, [_row(tenant) for tenant in tenants])


async def show_tenant(client: BillingHubClient, args: argparse.Namespace) -> None:
    request = platform_service_pb2.GetTenantRequest(tenant_id=args.tenant_id)
    response: platform_service_pb2.GetTenantResponse = await client.platform.GetTenant(request)
    show(response.tenant, args.json)


async def set_bot_token(client: BillingHubClient, args: argparse.Namespace) -> None:
    token = "" if args.remove else read_bot_token(args.bot_token_file)
    if not token and not args.remove:
        raise SystemExit("error: the bot token file is empty (use --remove to remove the token)")
    request = platform_service_pb2.UpdateTenantRequest(
        tenant_id=args.tenant_id, bot_token=token, update_mask=FieldMask(paths=["bot_token"])
    )
    response: platform_service_pb2.UpdateTenantResponse = await client.platform.UpdateTenant(request)
    show(response.tenant, args.json)


async def suspend_tenant(client: BillingHubClient, args: argparse.Namespace) -> None:
    request = platform_service_pb2.SuspendTenantRequest(tenant_id=args.tenant_id, reason=args.reason)
    response: platform_service_pb2.SuspendTenantResponse = await client.platform.SuspendTenant(request)
    show(response.tenant, args.json)


async def resume_tenant(client: BillingHubClient, args: argparse.Namespace) -> None:
    request = platform_service_pb2.ResumeTenantRequest(tenant_id=args.tenant_id)
    response: platform_service_pb2.ResumeTenantResponse = await client.platform.ResumeTenant(request)
    show(response.tenant, args.json)
