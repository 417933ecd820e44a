"""Payment provider adapters against local fake servers of each provider."""
