"""The rules of bot settings and texts, as Telegram sets them: a message is at most 4096
characters, a photo's caption at most 1024; a bot's username is 5 to 32 letters, digits and
underscores; the webhook secret token is 1 to 256 of A-Z, a-z, 0-9, _ and -."""

from __future__ import annotations

import enum
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from core_server.domain.actor import AdminPermission
from core_server.domain.errors import Violations
from core_server.domain.tenancy.tenants import LOCALES

MAX_TEXT = 4096  # Telegram's limit of one message
MAX_CAPTION = 1024  # Telegram's limit of a photo's caption: the welcome text with an image
MAX_ADMINS = 50
MAX_ADMIN_NAME = 64
MAX_URL = 2048
MAX_OVERRIDES = 2000
TEXT_FIELDS = ("welcome_text", "support_text", "terms_text", "privacy_text", "paysupport_text")
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")
_FILE_ID = re.compile(r"[A-Za-z0-9_-]{10,255}")
_MESSAGE_KEY = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
MAX_INT64 = 2**63 - 1


class BotMode(enum.StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


@dataclass(frozen=True, slots=True)
class AdminSpec:
    """One admin as given; a permission the contract does not know comes in as None."""

    telegram_id: int
    name: str = ""
    permissions: Sequence[AdminPermission | None] = ()


def new_webhook_secret() -> str:
    """Telegram's X-Telegram-Bot-Api-Secret-Token: 43 characters of its alphabet (256 bits)."""
    return secrets.token_urlsafe(32)


def check_username(value: str, field: str, v: Violations) -> str:
    name = value.strip().removeprefix("@")
    if name and not _USERNAME.fullmatch(name):
        v.add(field, "must be 5 to 32 letters, digits or underscores, starting with a letter")
    return name


def check_admins(admins: Sequence[AdminSpec], field: str, v: Violations) -> list[AdminSpec]:
    """The admins as stored: names trimmed, permissions deduplicated in the contract's order."""
    if len(admins) > MAX_ADMINS:
        v.add(field, f"must list at most {MAX_ADMINS} admins")
    seen: set[int] = set()
    checked: list[AdminSpec] = []
    for index, admin in enumerate(admins):
        at = f"{field}[{index}]"
        if not 0 < admin.telegram_id <= MAX_INT64:
            v.add(f"{at}.telegram_id", "must be a Telegram user id greater than 0")
        elif admin.telegram_id in seen:
            v.add(f"{at}.telegram_id", "is listed twice")
        seen.add(admin.telegram_id)
        name = v.check_text(f"{at}.name", admin.name, max_length=MAX_ADMIN_NAME)
        if any(p is None for p in admin.permissions):
            v.add(f"{at}.permissions", "must name known permissions (not ADMIN_PERMISSION_UNSPECIFIED)")
        granted = {p for p in admin.permissions if p is not None}
        checked.append(AdminSpec(admin.telegram_id, name, [p for p in AdminPermission if p in granted]))
    return checked


def check_image(value: str, field: str, v: Violations) -> str:
    """A Telegram file_id or an https URL (empty: no image)."""
    image = value.strip()
    if not image:
        return ""
    if image.startswith("https://"):
        if len(image) > MAX_URL or any(c.isspace() or ord(c) < 0x20 for c in image) or len(image) <= len("https://"):
            v.add(field, f"must be an https URL of at most {MAX_URL} characters without spaces")
    elif not _FILE_ID.fullmatch(image):
        v.add(field, "must be a Telegram file_id or an https:// URL")
    return image


def check_locale(value: str, field: str, v: Violations, *, required: bool = True) -> str:
    if (value or required) and value not in LOCALES:
        v.add(field, f"must be one of {', '.join(LOCALES)}")
    return value


def check_message_key(value: str, field: str, v: Violations) -> str:
    if not _MESSAGE_KEY.fullmatch(value):
        v.add(field, "must be 1 to 64 lower-case letters, digits, dots, underscores or hyphens, such as menu.balance")
    return value


def override_page_key(text: str) -> tuple[str, str]:
    """The (locale, key) of a text override list's page token; ValueError when it is not one."""
    locale, _, key = text.partition(":")
    if locale not in LOCALES or not _MESSAGE_KEY.fullmatch(key):
        raise ValueError("not a text override key")
    return locale, key
