"""`billing-hub key ...`: create, list and revoke API keys through the SDK.

A key's secret exists in clear only in the CreateApiKey response: the command prints it once,
with a warning on stderr, and the hub keeps only its hash.
"""

from __future__ import annotations

import argparse

from billing_hub.output import enum_label, message_dict, print_json, print_table, timestamp, warn
from sdk.billinghub.v1 import platform_service_pb2, tenant_pb2
from sdk.client import BillingHubClient

PAGE_SIZE = 200
ROLES: dict[str, tenant_pb2.ApiKeyRole] = {
    "platform": tenant_pb2.API_KEY_ROLE_PLATFORM,
    "tenant_admin": tenant_pb2.API_KEY_ROLE_TENANT_ADMIN,
    "gateway": tenant_pb2.API_KEY_ROLE_GATEWAY,
    "partner": tenant_pb2.API_KEY_ROLE_PARTNER,
}
HEADERS = ["ID", "ROLE", "TENANT", "NAME", "CREATED", "REVOKED"]


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    """Register `key` and its subcommands."""
    key = commands.add_parser("key", help="manage API keys", parents=[common])
    sub = key.add_subparsers(dest="key_command", required=True, metavar="{create,list,revoke}")

    create = sub.add_parser("create", help="create a key (its secret is shown once)", parents=[common])
    create.add_argument("--role", required=True, choices=list(ROLES))
    create.add_argument("--tenant", default="", metavar="ID", help="the tenant the key acts in")
    create.add_argument("--name", default="", help="a label, e.g. 'website'")
    create.set_defaults(handler=create_key)

    listing = sub.add_parser("list", help="list keys (never their secrets)", parents=[common])
    listing.add_argument("--tenant", default="", metavar="ID", help="only this tenant's keys")
    listing.add_argument("--all", action="store_true", help="include revoked keys")
    listing.set_defaults(handler=list_keys)

    revoke = sub.add_parser("revoke", help="revoke a key at once", parents=[common])
    revoke.add_argument("api_key_id", metavar="ID")
    revoke.set_defaults(handler=revoke_key)


def _row(key: tenant_pb2.ApiKey) -> list[str]:
    return [
        key.id,
        enum_label(tenant_pb2.ApiKeyRole.Name(key.role), "API_KEY_ROLE_"),
        key.tenant_id or "-",
        key.name or "-",
        timestamp(key.create_time),
        timestamp(key.revoke_time, key.HasField("revoke_time")),
    ]


async def create_key(client: BillingHubClient, args: argparse.Namespace) -> None:
    request = platform_service_pb2.CreateApiKeyRequest(role=ROLES[args.role], tenant_id=args.tenant, name=args.name)
    response: platform_service_pb2.CreateApiKeyResponse = await client.platform.CreateApiKey(request)
    warn("this is the only time the key is shown: store it now (the hub keeps only its hash)")
    if args.json:
        print_json(message_dict(response))
        return
    print_table(HEADERS, [_row(response.api_key)])
    print()
    print(f"secret: {response.secret}")


async def list_keys(client: BillingHubClient, args: argparse.Namespace) -> None:
    keys: list[tenant_pb2.ApiKey] = []
    page_token = ""
    while True:
        request = platform_service_pb2.ListApiKeysRequest(
            tenant_id=args.tenant, include_revoked=args.all, page_size=PAGE_SIZE, page_token=page_token
        )
        response: platform_service_pb2.ListApiKeysResponse = await client.platform.ListApiKeys(request)
        keys.extend(response.api_keys)
        page_token = response.next_page_token
        if not page_token:
            break
    if args.json:
        print_json({"api_keys": [message_dict(key) for key in keys]})
    else:
        print_table(HEADERS, [_row(key) for key in keys])


async def revoke_key(client: BillingHubClient, args: argparse.Namespace) -> None:
    request = platform_service_pb2.RevokeApiKeyRequest(api_key_id=args.api_key_id)
    response: platform_service_pb2.RevokeApiKeyResponse = await client.platform.RevokeApiKey(request)
    if args.json:
        print_json(message_dict(response.api_key))
    else:
        print_table(HEADERS, [_row(response.api_key)])
