"""Middlewares: per-update context that handlers receive as arguments instead of globals."""
