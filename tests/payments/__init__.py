"""Provider payments through the core: settings, payments, webhooks, exactly-once credits."""
