"""Texts a tenant words for its own bot: welcome, help, terms, payment support, support.

Today no tenant can set them (the core has no bot settings yet), so every function returns None
and the bot shows its default translated text. This is the seam where bot settings (welcome text
and image, support/terms/privacy/paysupport texts or links, per-locale overrides) plug in: each
function receives the tenant's `BotTenant` and the user's locale, which is all a lookup needs.
"""

from __future__ import annotations

from enum import StrEnum

from sdk.billinghub.v1.gateway_service_pb2 import BotTenant


class TextKey(StrEnum):
    """The texts a tenant may word itself."""

    WELCOME = "welcome"
    HELP = "help"
    TERMS = "terms"
    PAYSUPPORT = "paysupport"
    SUPPORT = "support"


def tenant_text(bot_tenant: BotTenant, key: TextKey, locale: str) -> str | None:
    """The tenant's own text for `key` in `locale`, or None to use the bot's default."""
    del bot_tenant, key, locale  # bot settings will answer here
    return None


def admin_ids(bot_tenant: BotTenant) -> frozenset[int]:
    """Telegram ids of the tenant's bot admins; none until bot settings hold them."""
    del bot_tenant
    return frozenset()
