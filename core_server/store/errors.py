"""Errors the store raises for the domain to decide on, so that domain code never meets a driver's
or SQLAlchemy's exception."""

from __future__ import annotations


class ConstraintViolation(Exception):
    """A write broke a constraint of the database (a unique key other than the one it tolerates,
    a foreign key); what that write did is undone, the transaction goes on."""
