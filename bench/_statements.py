"""The statements one call runs in PostgreSQL, read from the server's own statement log.

How: the scratch database gets `log_statement = 'all'` (ALTER DATABASE: that database only, for
connections opened afterwards; nothing server-wide changes), the core is started on it, and around
one call the bench notes the size of the server log and reads what was appended (pg_read_file, as
the superuser the bench connects as). The log is the file of the logging collector when there is
one (pg_current_logfile()), else the Debian cluster's stderr log (/var/log/postgresql/
postgresql-<cluster_name>.log). Entries of other databases are left out by the `%d` of
log_line_prefix when it has one; the call's own statements are then found by what they are: the
transaction (BEGIN .. COMMIT, on one backend) that holds a marker statement, plus the pool's
pre-ping on the same backend just before it; or, when the marker statement is a transaction by
itself (a call whose writes are one statement), it and the reads just before it on that backend.

`make bench` skips this file (its name starts with `_`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from bench import _harness as harness

# "2026-11-27 16:03:00.714 UTC [11812] postgres@db LOG:  statement: BEGIN;"
_ENTRY = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] (.*?)(LOG|DETAIL|ERROR|STATEMENT):  (.*)$"
)
_STATEMENT = re.compile(r"^(?:statement|execute [^:]*): (.*)$", re.DOTALL)
LOG_FLUSH_SECONDS = 0.3  # the server writes its stderr log unbuffered; a little slack for the write
_PARAMETER_BYTES = re.compile(r"\$\d+ = '\\x([0-9a-f]*)'")


@dataclass
class Entry:
    pid: int
    prefix: str
    kind: str
    text: str
    detail: str = ""


@dataclass
class Captured:
    """One call's statements: the pool's pre-ping and the transaction (BEGIN and COMMIT included),
    or, for a call whose writes are one statement, its reads and that statement."""

    ping: list[str]
    transaction: list[str]
    details: list[str] = field(default_factory=list)  # the parameters logged with each transaction statement


class ServerLog:
    """The server's log file, read through SQL (the bench need not run on the server's account)."""

    def __init__(self, connection: asyncpg.Connection, path: str) -> None:
        self._connection = connection
        self.path = path

    @classmethod
    async def open(cls) -> ServerLog | str:
        """The log, or why it cannot be read (read from the admin database, whose statements are not logged)."""
        connection = await harness.connect(harness.ADMIN_DSN)
        try:
            path = await connection.fetchval("SELECT pg_current_logfile()")
            if path is None:
                cluster = await connection.fetchval("SHOW cluster_name")
                if not cluster:
                    await connection.close()
                    return "no logging collector, and no cluster_name to find the Debian stderr log by"
                path = f"/var/log/postgresql/postgresql-{cluster.replace('/', '-')}.log"
            await connection.fetchval("SELECT size FROM pg_stat_file($1)", path)
        except asyncpg.PostgresError as error:
            await connection.close()
            return f"the server log cannot be read through SQL ({error})"
        return cls(connection, path)

    async def size(self) -> int:
        return int(await self._connection.fetchval("SELECT size FROM pg_stat_file($1)", self.path))

    async def read(self, start: int, end: int) -> str:
        text: str = await self._connection.fetchval("SELECT pg_read_file($1, $2, $3)", self.path, start, end - start)
        return text

    async def close(self) -> None:
        await self._connection.close()


def parse(text: str, database: str) -> list[Entry]:
    """The log's statement entries of `database` (DETAIL lines attached to their statement)."""
    entries: list[Entry] = []
    current: Entry | None = None  # the entry continuation lines (a tab first) belong to
    for line in text.splitlines():
        match = _ENTRY.match(line)
        if match is None:
            if current is not None and line.startswith("\t"):
                current.text += "\n" + line
            continue
        pid, prefix, kind, message = int(match[1]), match[2], match[3], match[4]
        current = None
        if kind == "DETAIL" and entries and entries[-1].pid == pid:
            entries[-1].detail = message
        elif kind == "LOG" and _STATEMENT.match(message):
            current = Entry(pid, prefix, kind, message)
            entries.append(current)
    named = [entry for entry in entries if f"@{database} " in entry.prefix + " "]
    return named or entries  # a log_line_prefix without %d: every statement of the window


async def capture(log: ServerLog, database: str, call: Callable[[], Awaitable[object]], marker: str) -> Captured | None:
    """Make one call and return its statements (None if they cannot be told apart in the log)."""
    start = await log.size()
    await call()
    await asyncio.sleep(LOG_FLUSH_SECONDS)
    text = await log.read(start, await log.size())
    return call_statements(parse(text, database), marker)


def normalize(statement: str) -> str:
    """The SQL of a log entry on one line, without the prepared statement's name."""
    match = _STATEMENT.match(statement)
    sql = match[1] if match else statement
    return " ".join(sql.split()).rstrip(";")


def call_statements(entries: list[Entry], marker: str) -> Captured | None:
    """The statements of the call that sent the first statement containing `marker`: the
    transaction holding it (the core sends the inserts of one purchase as one statement of CTEs),
    and the pre-ping (BEGIN, ROLLBACK with nothing logged between) right before it on the same
    backend, if there is one. A marker statement outside any transaction is a call whose writes are
    that one statement: its statements are then the reads before it on that backend (since the
    window began, or since the last transaction there ended) and itself."""
    found = next((e for e in entries if marker in normalize(e.text)), None)
    if found is None:
        return None
    own = [e for e in entries if e.pid == found.pid]
    texts = [normalize(e.text) for e in own]
    at = own.index(found)
    edge = next((i for i in range(at, -1, -1) if texts[i] in ("BEGIN", "COMMIT", "ROLLBACK")), None)
    if edge is not None and texts[edge] == "BEGIN":
        end = next((i for i in range(at, len(own)) if texts[i] in ("COMMIT", "ROLLBACK")), None)
        if end is None:
            return None
        start = edge
    else:
        start, end = (0 if edge is None else edge + 1), at
    ping = texts[max(0, start - 2) : start]
    call = own[start : end + 1]
    return Captured(
        ping=ping if ping == ["BEGIN", "ROLLBACK"] else [],
        transaction=[normalize(e.text) for e in call],
        details=[e.detail for e in call],
    )


def largest_bytea_parameter(captured: Captured, statement_start: str) -> int | None:
    """The size of the largest bytea parameter logged with the first statement containing
    `statement_start` (an idempotency record's response, beside its 32-byte request hash)."""
    for sql, detail in zip(captured.transaction, captured.details, strict=True):
        if statement_start in sql:
            sizes = [len(found) // 2 for found in _PARAMETER_BYTES.findall(detail)]
            return max(sizes) if sizes else None
    return None


def _outer(sql: str) -> str:
    """The statement without its parenthesized parts (subqueries, function arguments), innermost first."""
    while True:
        shorter = re.sub(r"\([^()]*\)", "", sql)
        if shorter == sql:
            return sql
        sql = shorter


def summary(sql: str) -> str:
    """A statement in a few words: its verb and table ("SELECT users", "UPDATE ledger_accounts")."""
    words = sql.split()
    if not words:
        return "(empty)"
    if words[0].upper() == "WITH":  # the core's legs (l0.., leg1..: balance rows) and deferred inserts
        legs = len(re.findall(r"\bl(?:eg)?\d+ AS \(", sql))
        inserts = [table for table in re.findall(r"INSERT INTO (\w+)", sql) if table != "ledger_accounts"]
        parts = [f"CHANGE ledger_accounts x{legs}"] if legs else []
        parts += ["INSERT " + "+".join(inserts)] if inserts else []
        return " + ".join(parts) or "WITH"
    verb = words[0].upper()
    table: Any = None
    if verb == "INSERT":
        table = re.search(r"\bINTO\s+(\w+)", sql, re.IGNORECASE)
    elif verb == "UPDATE":
        table = re.search(r"^UPDATE\s+(\w+)", sql, re.IGNORECASE)
    elif verb in ("SELECT", "DELETE"):
        table = re.search(r"\bFROM\s+(\w+)", _outer(sql), re.IGNORECASE)
    text = f"{verb} {table[1]}" if table else verb
    if re.search(r"\bFOR UPDATE\b", sql, re.IGNORECASE):
        text += " FOR UPDATE"
    if re.search(r"\bON CONFLICT\b", sql, re.IGNORECASE):
        text += " ON CONFLICT"
    return text
