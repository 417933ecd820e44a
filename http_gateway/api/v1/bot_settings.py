"""`/api/v1/bot-settings` and `/api/v1/bot-texts`: a tenant admin edits the tenant's bot from a
website: its admins and their permissions, alert chat, texts, mode, and its own wording of the
bot's messages per locale (see the README's "Bot settings and admins")."""

from __future__ import annotations

from quart import Blueprint

from http_gateway.api.v1.routes import expose

TAG = "bot settings"
SETTINGS = "/bot-settings"
TEXTS = "/bot-texts"
ONE_TEXT = TEXTS + "/<locale>/<key>"


def register(api: Blueprint) -> None:
    service = "BotSettingsService"
    expose(
        api, "GET", SETTINGS, f"{service}.GetBotSettings", resource=TAG, unwrap="bot_settings",
        summary="The tenant's bot settings (defaults until first changed); never the webhook secret.",
    )  # fmt: skip
    expose(
        api, "PATCH", SETTINGS, f"{service}.UpdateBotSettings", resource=TAG, body="bot_settings",
        unwrap="bot_settings",
        summary="Change the fields the body names: bot_username, admins (the whole list, each with its "
        "permissions), alert_chat_id, alert_topic_id, welcome_text, welcome_image, support_text, terms_text, "
        "privacy_text, paysupport_text, default_locale, mode.",
    )  # fmt: skip
    expose(
        api, "GET", TEXTS, f"{service}.ListTextOverrides", resource=TAG,
        summary="The tenant's wording of bot messages, by locale and key (of one locale when `locale` is given).",
    )  # fmt: skip
    expose(
        api, "PUT", ONE_TEXT, f"{service}.SetTextOverride", resource=TAG, body="text_override",
        unwrap="text_override", summary="Set the text of one message key (`menu.balance`) in one locale.",
    )  # fmt: skip
    expose(
        api, "DELETE", ONE_TEXT, f"{service}.DeleteTextOverride", resource=TAG,
        summary="Remove an override: the bot's own text applies again.",
    )  # fmt: skip
