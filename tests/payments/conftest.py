"""The commerce tests' core with a clock the test moves (the reconciliation worker's schedule)."""

from tests.commerce.conftest import clock, clocked_hub

__all__ = ["clock", "clocked_hub"]
