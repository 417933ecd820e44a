"""Tenancy: tenants, API keys, authentication, bootstrap keys and per-tenant settings."""
