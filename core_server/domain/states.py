"""The one way an entity's status changes: along an edge of its transition table.

Each entity (order, hold, payout request, top-up request, subscription) declares its StrEnum and
its table in its own model module, and its `move()` stamps what an edge implies (paid_at,
closed_at, decided_at); `check_edge` is the rule they share, so a forgotten state or a wrong edge
fails the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import TypeVar

S = TypeVar("S", bound=StrEnum)


class IllegalTransition(RuntimeError):
    """A programming error: a rule moved an entity along an edge its table does not have."""


def check_edge(
    entity: str,
    identity: object,
    transitions: Mapping[S, frozenset[S]],
    parse: Callable[[str], S],
    current: str,
    to: S,
) -> S:
    """The current state, parsed, when `current -> to` is an edge of the table; else IllegalTransition."""
    state = parse(current)
    if to not in transitions[state]:
        raise IllegalTransition(f"{entity} {identity}: {state} -> {to}")
    return state
