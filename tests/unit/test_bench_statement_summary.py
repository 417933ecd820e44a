"""The bench's one-line names of the statements a call runs (bench/_statements.py), as its capture
of a purchase prints them: the table a read is FROM is the outer query's, never a subquery's."""

from __future__ import annotations

from bench._statements import summary


def test_a_read_is_named_by_its_outer_table_not_a_subquerys() -> None:
    read = (
        "SELECT u.blocked, (SELECT s.order_ttl_seconds FROM tenant_settings s WHERE s.tenant_id = $1),"
        " COALESCE((SELECT w.balance FROM ledger_accounts w WHERE w.user_id = u.id), 0)"
        " FROM users u JOIN packages p ON p.id = $3 WHERE u.tenant_id = $1"
    )
    assert summary(read) == "SELECT users"
    assert summary("SELECT id FROM orders WHERE id = $1 FOR UPDATE") == "SELECT orders FOR UPDATE"
    assert summary("DELETE FROM holds WHERE id IN (SELECT id FROM old)") == "DELETE holds"
    assert summary("SELECT now()") == "SELECT"
