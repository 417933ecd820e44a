"""Payment and fulfillment provider adapters: one module per provider, found by `registry`."""
