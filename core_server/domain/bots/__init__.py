"""Tenants' bots: settings (admins and their permissions, texts, mode), text overrides, and the
check of a staff call a gateway makes on an admin's behalf."""
