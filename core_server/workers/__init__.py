"""Background loops of the core: hold expiry, idempotency record sweeping."""
