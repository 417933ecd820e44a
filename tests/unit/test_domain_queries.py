"""Domain code reaches the database only through store/repositories: it may flush the changes it
made to rows (the unit of work's business), never query or add through the session itself.
(`make lint` forbids it importing SQLAlchemy; this catches the session used without an import.)"""

from __future__ import annotations

import re
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "core_server" / "domain"


def test_the_domain_uses_the_session_only_to_flush() -> None:
    uses = []
    for path in DOMAIN.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for call in re.findall(r"\.session\.(\w+)", line):
                if call != "flush":
                    uses.append(f"{path.relative_to(DOMAIN)}:{number} session.{call}")
    assert uses == []
