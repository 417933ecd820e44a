"""Inbound webhooks: payment providers (and, later, Telegram)."""
