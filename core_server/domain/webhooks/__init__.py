"""Outbound webhooks: tenants' endpoints, the fan-out of events into deliveries, and their sending."""
