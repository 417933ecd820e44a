"""Raw transactions: the money hot paths' statements without the ORM, on either backend.

A purchase through the ORM costs ~19 ms of core CPU, most of it SQLAlchemy's unit-of-work and
statement machinery around a handful of statements. The hot paths (store/repositories/
ledger_writes.py and the repositories' `*_raw` functions) run their SQL on the driver connection
instead: asyncpg's prepared statements on PostgreSQL, the writer connection's aiosqlite cursor on
SQLite. One `RawTx` is one transaction, committed explicitly and rolled back otherwise.

SQL is written once, PostgreSQL style (`$1` placeholders); `Sql` derives the SQLite text (`?1`)
and `SqliteTx` converts what SQLite has no type for the way the models store it (a UUID as 32
hex digits, a timestamp as naive UTC text), so rows written here read back through the ORM.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import struct
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from functools import lru_cache, partial
from typing import Any, Protocol

import asyncpg

from core_server.store.db import Database

_PLACEHOLDER = re.compile(r"\$(\d+)")


class Sql:
    """One statement's text for both backends. `sqlite` overrides the derived text where the
    dialects differ beyond placeholders."""

    __slots__ = ("pg", "sqlite")

    def __init__(self, pg: str, sqlite: str | None = None) -> None:
        self.pg = pg
        self.sqlite = _PLACEHOLDER.sub(r"?\1", sqlite if sqlite is not None else pg)


class UniqueViolation(Exception):
    """A unique constraint refused a row: the statement (and the transaction) changed nothing.
    The message names the constraint (PostgreSQL) or its table and columns (SQLite)."""


class GuardMissed(Exception):
    """A deferred write found no row to take from its guard (store/repositories/hold_writes.py's
    reservation, say): the statement changed nothing. The fast path's assumption did not hold."""


class RawTx(Protocol):
    """One open transaction. Rows come back as tuples; `uuid_of`/`time_of` read their values."""

    dialect: str

    async def fetchrow(self, sql: Sql, *args: Any) -> Sequence[Any] | None: ...

    async def read(self, sql: Sql, *args: Any) -> Sequence[Any] | None:
        """`fetchrow`, but on PostgreSQL before the transaction begins if it has not yet: a read
        of its own snapshot, locking nothing. What the unit's last statement relies on in it, that
        statement checks again (a guard: raw_tx.PgTx.defer_guard)."""

    async def fetch(self, sql: Sql, *args: Any) -> list[Sequence[Any]]: ...

    async def execute(self, sql: Sql, *args: Any) -> None: ...

    def defer(self, sql: Sql, *args: Any) -> None:
        """Queue an INSERT whose rows nothing in this transaction reads back (or an UPDATE of a row
        it locked and reads no more); `flush` runs the queue (on PostgreSQL as one statement: one
        round trip however many; the statements must touch different rows)."""

    async def flush(self) -> None: ...


class Later:
    """A value the unit's last statement computes (PostgreSQL): an SQL expression over the parts
    named by `defer_guard`, such as a wallet's balance after the change the statement makes. A
    deferred write takes it in place of an argument; `offset` is added to an integer."""

    __slots__ = ("expr", "offset")

    def __init__(self, expr: str, offset: int | None = None) -> None:
        self.expr = expr
        self.offset = offset

    def plus(self, amount: int) -> Later:
        return Later(self.expr, (self.offset or 0) + amount)


class LaterJson:
    """A JSON text around a Later integer: prefix || value || suffix (domain/events.py's
    encode_around gives both halves)."""

    __slots__ = ("prefix", "suffix", "value")

    def __init__(self, prefix: str, value: Later, suffix: str) -> None:
        self.prefix, self.value, self.suffix = prefix, value, suffix


class LaterBytes:
    """Bytes that carry Later integers before a tail the caller knows: 0x00, their count, each as
    8 bytes big-endian (int8send), then the tail (`split_later_bytes` reads them back). A
    serialized protobuf never starts with 0x00 (field number 0 does not exist), so a reader tells
    the two apart."""

    __slots__ = ("tail", "values")

    def __init__(self, values: Sequence[Later], tail: bytes) -> None:
        if not 0 < len(values) < 256 or any(value.offset is not None for value in values):
            raise ValueError("1 to 255 values, with no offset")
        self.values, self.tail = tuple(values), tail


def split_later_bytes(data: bytes) -> tuple[tuple[int, ...], bytes] | None:
    """The integers and the tail of LaterBytes as stored; None for other bytes."""
    if len(data) < 2 or data[0] != 0:
        return None
    count = data[1]
    end = 2 + 8 * count
    return struct.unpack(f">{count}q", data[2:end]), data[end:]


_COMPUTED = (Later, LaterJson, LaterBytes)


def _shape(value: Later | LaterJson | LaterBytes) -> tuple[Any, ...]:
    """What the SQL text of a computed argument depends on (its parameters are values)."""
    if isinstance(value, Later):
        return ("value", value.expr, value.offset is not None)
    if isinstance(value, LaterJson):
        return ("json", value.value.expr)
    return ("bytes", tuple(later.expr for later in value.values))


def _computed_sql(shape: tuple[Any, ...], first: int) -> tuple[str, int]:
    """A computed argument's SQL, its parameters numbered from `first`, and how many it has."""
    kind, expr = shape[0], shape[1]
    if kind == "value":
        return (f"(({expr}) + ${first}::bigint)", 1) if shape[2] else (f"({expr})", 0)
    if kind == "json":
        return f"(${first}::text || (({expr}) + ${first + 1}::bigint)::text || ${first + 2}::text)", 3
    sends = " || ".join(f"int8send(({one}))" for one in expr)
    return f"(${first}::bytea || {sends} || ${first + 1}::bytea)", 2


def _computed_params(value: Later | LaterJson | LaterBytes) -> tuple[Any, ...]:
    """The parameters of `_computed_sql`, in its order."""
    if isinstance(value, Later):
        return () if value.offset is None else (value.offset,)
    if isinstance(value, LaterJson):
        return (value.prefix, value.value.offset or 0, value.suffix)
    return (bytes((0, len(value.values))), value.tail)


@lru_cache(maxsize=256)
def _expanded(text: str, shapes: tuple[tuple[Any, ...] | None, ...]) -> str:
    """`text` with each computed argument's placeholder replaced by its SQL (`shapes`: None for a
    plain argument), the placeholders renumbered for `_expanded_args`."""
    mapping: dict[int, str] = {}
    count = 0
    for number, shape in enumerate(shapes, start=1):
        if shape is None:
            count += 1
            mapping[number] = f"${count}"
        else:
            mapping[number], width = _computed_sql(shape, count + 1)
            count += width
    return _PLACEHOLDER.sub(lambda match: mapping[int(match.group(1))], text)


def _expanded_args(args: tuple[Any, ...]) -> tuple[Any, ...]:
    out: list[Any] = []
    for value in args:
        if isinstance(value, _COMPUTED):
            out += _computed_params(value)
        else:
            out.append(value)
    return tuple(out)


def guard(tx: RawTx, prefix: str, sql: Sql, *args: Any) -> str:
    """`sql` as a guard of PostgreSQL's last statement (PgTx.defer_guard) under a fresh name,
    which it returns: the Later values of the parts that read or follow it name it."""
    assert isinstance(tx, PgTx), "a guard is a part of PostgreSQL's last statement"
    name = tx.new_name(prefix)
    tx.defer_guard(name, sql, *args)
    return name


def guard_row(tx: RawTx, prefix: str, sql: Sql, *args: Any) -> Later:
    """`guard` of a statement that returns the row it changed (`RETURNING id`): the business row a
    unit settles, first in the lock order. The parts that must follow it chain after the Later."""
    return Later(f"SELECT id FROM {guard(tx, prefix, sql, *args)}")  # noqa: S608  # a CTE name only


def uuid_of(value: Any) -> uuid.UUID:
    """A UUID column's value as read on either backend."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(hex=value)


def time_of(value: Any) -> dt.datetime:
    """A timestamp column's value as read on either backend, aware and in UTC."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _shifted(offset: int, match: re.Match[str]) -> str:
    return f"${int(match.group(1)) + offset}"


def shift_placeholders(text: str, offset: int) -> str:
    """A PostgreSQL text with its placeholders $n renumbered $(n + offset), to compose statements."""
    return _PLACEHOLDER.sub(partial(_shifted, offset), text)


@lru_cache(maxsize=256)
def _composed(
    texts: tuple[str, ...], widths: tuple[int, ...], names: tuple[str, ...], returning: tuple[str, ...] = ()
) -> Sql:
    """Several inserts (and updates) as one statement: data-modifying CTEs, each run once and to completion
    (cached as a statement: deriving a long text's other dialect on every flush cost a few % of
    the core's CPU per call). A part is named `i<n>` by its place unless it was deferred with a
    name a later part reads it by. With `returning` every part is a CTE and the statement selects
    those expressions."""
    parts: list[str] = []
    offset = 0
    for text, width in zip(texts, widths, strict=True):
        parts.append(shift_placeholders(text, offset))
        offset += width
    last = f"SELECT {', '.join(returning)}" if returning else parts.pop()
    head = ", ".join(f"{names[n] or f'i{n}'} AS ({part})" for n, part in enumerate(parts))
    return Sql((f"WITH {head} " if head else "") + last)


class PgTx:
    """A transaction that begins at its first statement sent (BEGIN goes just before it). A unit
    whose writes were all deferred sends one statement in all (`flush_last`), which is a
    transaction by itself: no BEGIN and COMMIT, one round trip instead of three."""

    dialect = "postgresql"

    def __init__(self, connection: asyncpg.Connection, stack: AsyncExitStack) -> None:
        self._connection = connection
        self._stack = stack  # holds the transaction once begun: commits or rolls back with the block
        self._begun = False
        self._deferred: list[tuple[Sql, tuple[Any, ...], str]] = []
        self._guarded = False
        self._returning: tuple[Later, ...] = ()
        self.returned: tuple[Any, ...] = ()  # the values of `return_values`, once the last statement ran
        self._names = 0

    def new_name(self, prefix: str) -> str:
        """A part name no other part of this transaction's statements has."""
        self._names += 1
        return f"{prefix}{self._names}"

    def defer(self, sql: Sql, *args: Any) -> None:
        """Arguments may be Later values (and LaterJson, LaterBytes) of parts deferred before."""
        self._deferred.append((sql, args, ""))

    def return_values(self, *values: Later) -> None:
        """The unit's last statement selects these (`returned` holds them after it ran): the values
        the caller answers with, which only the statement knows."""
        if any(value.offset is not None for value in values):
            raise ValueError("returned values take no offset")
        self._returning = values

    def defer_guard(self, name: str, sql: Sql, *args: Any) -> None:
        """A deferred part that later parts read by `name` (`(SELECT id FROM name)`) into a NOT NULL
        column: when it returns no row, the statement fails, changing nothing, and the flush raises
        GuardMissed. It must come before the parts that read it, and not last."""
        self._deferred.append((sql, args, name))
        self._guarded = True

    async def _begin(self) -> None:
        if not self._begun:
            self._begun = True
            await self._stack.enter_async_context(self._connection.transaction())

    async def flush(self) -> None:
        if self._returning:
            raise RuntimeError("values to return: the deferred writes go as the unit's last statement")
        if self._deferred:
            await self._begin()
            await self._run_deferred()

    async def flush_last(self) -> None:
        """The deferred writes as the unit's last statement: in the transaction if one began, else
        alone (a statement is atomic: its CTEs all land or none does)."""
        await self._run_deferred()

    async def _run_deferred(self) -> None:
        if not self._deferred:
            return
        deferred, self._deferred = self._deferred, []
        guarded, self._guarded = self._guarded, False
        returning, self._returning = self._returning, ()
        texts: list[str] = []
        values: list[tuple[Any, ...]] = []
        for sql, args, _ in deferred:
            shapes = tuple(_shape(arg) if isinstance(arg, _COMPUTED) else None for arg in args)
            if any(shapes):
                texts.append(_expanded(sql.pg, shapes))
                values.append(_expanded_args(args))
            else:
                texts.append(sql.pg)
                values.append(args)
        statement = _composed(
            tuple(texts),
            tuple(len(args) for args in values),
            tuple(name for _, _, name in deferred),
            tuple(f"({value.expr})" for value in returning),
        )
        try:
            rows = await self._fetch(statement, *[value for args in values for value in args])
        except asyncpg.NotNullViolationError as error:
            if not guarded:
                raise
            raise GuardMissed(f"no row for {error.table_name}.{error.column_name}") from None
        if returning:
            self.returned = tuple(rows[0])

    async def read(self, sql: Sql, *args: Any) -> Sequence[Any] | None:
        if self._begun:
            return await self.fetchrow(sql, *args)
        row: Sequence[Any] | None = await self._connection.fetchrow(sql.pg, *args)
        return row

    async def fetchrow(self, sql: Sql, *args: Any) -> Sequence[Any] | None:
        await self._begin()
        try:
            row: Sequence[Any] | None = await self._connection.fetchrow(sql.pg, *args)
        except asyncpg.UniqueViolationError as error:
            raise UniqueViolation(error.constraint_name or str(error)) from None
        return row

    async def fetch(self, sql: Sql, *args: Any) -> list[Sequence[Any]]:
        await self._begin()
        return await self._fetch(sql, *args)

    async def _fetch(self, sql: Sql, *args: Any) -> list[Sequence[Any]]:
        try:
            rows: list[Sequence[Any]] = await self._connection.fetch(sql.pg, *args)
        except asyncpg.UniqueViolationError as error:
            raise UniqueViolation(error.constraint_name or str(error)) from None
        return rows

    async def execute(self, sql: Sql, *args: Any) -> None:
        await self.fetch(sql, *args)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, str) and type(value) is not str:  # a StrEnum: sqlite3 binds exact str only
        return str(value)
    return value


@contextmanager
def _sqlite_unique_as_ours() -> Iterator[None]:
    """sqlite3's unique-constraint failure as the UniqueViolation both backends raise."""
    try:
        yield
    except sqlite3.IntegrityError as error:
        if "UNIQUE" in str(error):
            raise UniqueViolation(str(error)) from None
        raise


class SqliteTx:
    dialect = "sqlite"

    def __init__(self, connection: Any) -> None:
        self._connection = connection  # an aiosqlite.Connection
        self._deferred: list[tuple[Sql, tuple[Any, ...]]] = []

    def defer(self, sql: Sql, *args: Any) -> None:
        self._deferred.append((sql, args))

    async def flush(self) -> None:
        deferred, self._deferred = self._deferred, []
        for sql, args in deferred:  # in-process statements: no round trips to save
            await self.execute(sql, *args)

    async def fetch(self, sql: Sql, *args: Any) -> list[Sequence[Any]]:
        with _sqlite_unique_as_ours():  # one hop to the connection's thread: execute and fetch together
            rows = await self._connection.execute_fetchall(sql.sqlite, [_sqlite_value(a) for a in args])
        return list(rows)

    async def fetchrow(self, sql: Sql, *args: Any) -> Sequence[Any] | None:
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def read(self, sql: Sql, *args: Any) -> Sequence[Any] | None:
        return await self.fetchrow(sql, *args)  # the writer's turn already excludes every other write

    async def execute(self, sql: Sql, *args: Any) -> None:
        await self.fetch(sql, *args)


class InPlaceSqliteTx:
    """SqliteTx on the raw transactions' own connection (store/sqlite_writer.py): each statement runs
    in place, on the event loop's thread, with no hop to a driver thread."""

    dialect = "sqlite"

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._deferred: list[tuple[Sql, tuple[Any, ...]]] = []

    def defer(self, sql: Sql, *args: Any) -> None:
        self._deferred.append((sql, args))

    async def flush(self) -> None:
        deferred, self._deferred = self._deferred, []
        for sql, args in deferred:
            self._run(sql, args)

    def _run(self, sql: Sql, args: tuple[Any, ...]) -> list[Sequence[Any]]:
        with _sqlite_unique_as_ours():
            return self._connection.execute(sql.sqlite, [_sqlite_value(a) for a in args]).fetchall()

    async def fetch(self, sql: Sql, *args: Any) -> list[Sequence[Any]]:
        return self._run(sql, args)

    async def fetchrow(self, sql: Sql, *args: Any) -> Sequence[Any] | None:
        rows = self._run(sql, args)
        return rows[0] if rows else None

    async def read(self, sql: Sql, *args: Any) -> Sequence[Any] | None:
        return await self.fetchrow(sql, *args)

    async def execute(self, sql: Sql, *args: Any) -> None:
        self._run(sql, args)


class RawDb:
    """Opens raw transactions: on PostgreSQL from the fast path's asyncpg pool, on SQLite after a
    turn in the writer queue like any ORM write unit, on the file's in-place connection
    (store/sqlite_writer.py; an in-memory database: on the ORM's writer connection)."""

    def __init__(self, db: Database, pool: asyncpg.Pool | None) -> None:
        self._db = db
        self._pool = pool

    @property
    def dialect(self) -> str:
        return self._db.dialect

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[RawTx]:
        """`async with raw.transaction() as tx:` commits when the block ends, rolls back on error."""
        if self._pool is not None:
            async with self._pool.acquire() as connection, AsyncExitStack() as stack:
                tx = PgTx(connection, stack)
                yield tx
                await tx.flush_last()
            return
        queue = self._db.writer_queue  # the same turns as the ORM's write units (store/db.py)
        if queue is not None:
            await queue.acquire()
        try:
            if (writer := self._db.sqlite_writer) is not None and queue is not None:
                connection = await writer.begin(queue.wait_seconds)
                try:
                    in_place = InPlaceSqliteTx(connection)
                    yield in_place
                    await in_place.flush()
                    writer.commit(connection)
                except BaseException:
                    writer.rollback(connection)
                    raise
                await writer.checkpoint_now_and_then(connection)
                return
            async with self._db.engine.connect() as engine_connection:
                fairy = await engine_connection.get_raw_connection()
                driver = fairy.driver_connection
                assert driver is not None
                await driver.execute("BEGIN IMMEDIATE")
                try:
                    sqlite_tx = SqliteTx(driver)
                    yield sqlite_tx
                    await sqlite_tx.flush()
                except BaseException:
                    await driver.execute("ROLLBACK")
                    raise
                await driver.execute("COMMIT")
        finally:
            if queue is not None:
                queue.release()
