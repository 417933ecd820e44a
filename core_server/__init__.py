"""Billing Hub core: the only process that touches the database and holds tenant secrets."""
