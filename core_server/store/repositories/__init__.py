"""Queries, one module per table family. Use cases call these; they never build SQL themselves."""
