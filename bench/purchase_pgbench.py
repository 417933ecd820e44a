"""The limit bench/purchase.py measures PurchaseFromWallet against: pgbench running the statements
one purchase of a token pack runs in the core, with the values the core computes in Python computed
here in SQL or in pgbench variables.

`purchase_pgbench_script()` is the one place to change when the core's purchase path changes (it is
being rewritten into a lean raw-SQL path): it holds the statements of the path as it is today, in
the order the core sends them, as captured from PostgreSQL's statement log by bench/purchase.py
(which records them, and says whether this script still matches them, in the result's details).

Variables given with -D by bench/purchase.py: tenant, users, package, price (XTR), tokens (TOKEN
delivered), revenue (the 8 revenue bucket ids of XTR, `{a,b,...}`), issued (the 8 bucket ids of the
`issued` TOKEN account), response_bytes (the size of the idempotency record's stored response).
The ids the core makes in Python (order, transfers, link, a new wallet) are made in the first
statement's RETURNING list, time-ordered like the core's uuid7 ids; the user id is computed there
too, so that every later statement takes it as a plain parameter, as the core's do.

Run on its own (`make bench` runs every bench/*.py) it prints a note; `--print` prints the script.
"""

# ruff: noqa: S608  # a pgbench script built from constants: no input reaches the SQL

from __future__ import annotations

import sys

MAX_BALANCE = 4_000_000_000_000_000_000  # core_server/domain/money/amounts.py: the bound of a balance
METHOD = "/billinghub.v1.OrderService/PurchaseFromWallet"
# An id like the core's uuid7: 48 bits of milliseconds, the version nibble, random bits.
_UUID7 = (
    "overlay(overlay(md5(random()::text) placing lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint),"
    " 12, '0') from 1 for 12) placing '7' from 13 for 1)::uuid"
)
_USER_ID = "('00000000-0000-7000-8000-' || lpad(to_hex(:n::bigint), 12, '0'))::uuid"
_USER_COLUMNS = (
    "users.tenant_id, users.id, users.platform, users.external_id, users.username, users.first_name, "
    "users.last_name, users.language_code, users.search_text, users.referral_code, users.referrer_id, "
    "users.blocked, users.created_at, users.updated_at"
)
_PACKAGE_COLUMNS = (
    "packages.tenant_id, packages.id, packages.kind, packages.title, packages.description, packages.category, "
    "packages.sort_order, packages.active, packages.archived, packages.price_asset, packages.price_amount, "
    "packages.per_unit, packages.min_quantity, packages.max_quantity, packages.delivers_asset, "
    "packages.delivers_amount, packages.plan_code, packages.period_days, packages.stars_quantity, "
    "packages.premium_months, packages.features, packages.posts_per_day, packages.active_days, "
    "packages.created_at, packages.updated_at"
)
_SETTINGS_COLUMNS = (
    "tenant_settings.tenant_id, tenant_settings.order_ttl_seconds, tenant_settings.expiring_notice_days, "
    "tenant_settings.referral_program, tenant_settings.topup_methods, tenant_settings.updated_at"
)
_ORDER_COLUMNS = (
    "tenant_id, id, user_id, package_id, package_kind, quantity, recipient, asset, subtotal, discount, total, "
    "promo_code, status, paid_via, refunded, failure_reason, delivery, expires_at, active_until, created_at, "
    "paid_at, fulfilled_at, closed_at"
)
_TRANSFER_COLUMNS = (
    "tenant_id, id, asset, kind, amount, debit_account_id, credit_account_id, debit_balance_after, "
    "credit_balance_after, reference, link_id, reason, actor, created_at"
)
_EVENT = (
    "INSERT INTO events (tenant_id, id, tx_order, type, data, created_at) VALUES (:tenant::uuid, "
    "nextval('events_id_seq'), pg_current_xact_id()::text::bigint, '{type}', {data}, now()) RETURNING events.id;"
)
_ORDER_EVENT_DATA = (
    """'{{"asset":"XTR","order_id":"' || :order_id || '","package_id":"' || :package || '","package_kind":"""
    """"token_pack","quantity":1,"recipient":"","status":"{status}","total_minor":' || :price || ',"""
    """"user_id":"' || :user_id || '"}}'"""
)
_WALLET_EVENT_DATA = (
    """'{{"amount_minor":' || :{amount} || ',"asset":"{asset}","balance_minor":' || :{balance} || ',"kind":"""
    """"{kind}","reference":"order:' || :order_id || '","transfer_id":"' || :{transfer} || '","user_id":"'"""
    """ || :user_id || '"}}'"""
)


def purchase_pgbench_script() -> str:
    """The pgbench script of one PurchaseFromWallet of a token pack, as the core runs it today
    (core_server/domain/orders/payment.py purchase_from_wallet through the ORM, on PostgreSQL):
    the pool's pre-ping, then one transaction of 22 statements."""
    order = "orders.tenant_id = :tenant::uuid AND orders.id = :order_id::uuid"
    lines = [
        "-- The pool's pre-ping at checkout (SQLAlchemy pool_pre_ping on asyncpg): BEGIN, an empty query, ROLLBACK.",
        "BEGIN;",
        "SELECT;",
        "ROLLBACK;",
        r"\set n random(1, :users)",
        r"\set rb random(1, 8)",
        r"\set ib random(1, 8)",
        r"\set minus_tokens -1 * :tokens",
        "BEGIN;",
        "-- The idempotency claim (the interceptor); the ids the core makes in Python come back with it.",
        "INSERT INTO idempotency_records (tenant_id, method, request_id, request_hash, response, transfer_id, "
        f"created_at) VALUES (:tenant::uuid, '{METHOD}', md5(random()::text), sha256(random()::text::bytea), NULL, "
        "NULL, now()) ON CONFLICT (tenant_id, method, request_id) DO NOTHING RETURNING "
        "idempotency_records.tenant_id, idempotency_records.method, idempotency_records.request_id, "
        f"{_USER_ID} AS user_id, {_UUID7} AS order_id, {_UUID7} AS link_id, {_UUID7} AS payment_id, "
        f"{_UUID7} AS delivery_id, {_UUID7} AS new_account_id, (:revenue::uuid[])[:rb] AS revenue_bucket, "
        r"(:issued::uuid[])[:ib] AS issued_bucket \gset",
        "-- OrderService.create: the user, the package, the order settings, the order and its event.",
        f"SELECT {_USER_COLUMNS} FROM users WHERE users.tenant_id = :tenant::uuid AND users.id = :user_id::uuid;",
        f"SELECT {_PACKAGE_COLUMNS} FROM packages "
        "WHERE packages.tenant_id = :tenant::uuid AND packages.id = :package::uuid;",
        f"SELECT {_SETTINGS_COLUMNS} FROM tenant_settings WHERE tenant_settings.tenant_id = :tenant::uuid;",
        f"INSERT INTO orders ({_ORDER_COLUMNS}) VALUES (:tenant::uuid, :order_id::uuid, :user_id::uuid, "
        ":package::uuid, 'token_pack', 1, '', 'XTR', :price::bigint, 0, :price::bigint, NULL, 'pending', '', 0, "
        "'', '{}'::json, now() + interval '1 hour', NULL, now(), NULL, NULL, NULL);",
        _EVENT.format(type="order.created", data=_ORDER_EVENT_DATA.format(status="pending")),
        "-- OrderPayments._pay and settle: the order locked, the package again, paid, the referral program",
        "-- (tenant settings) for commissions, delivered.",
        f"SELECT orders.{_ORDER_COLUMNS.replace(', ', ', orders.')} FROM orders WHERE {order} FOR UPDATE;",
        f"SELECT {_PACKAGE_COLUMNS} FROM packages "
        "WHERE packages.tenant_id = :tenant::uuid AND packages.id = :package::uuid;",
        f"UPDATE orders SET status='paid', paid_via='wallet', paid_at=now() WHERE {order};",
        f"SELECT {_SETTINGS_COLUMNS} FROM tenant_settings WHERE tenant_settings.tenant_id = :tenant::uuid;",
        'UPDATE orders SET status=\'fulfilled\', delivery=(\'{"credited": {"asset": "TOKEN", "amount": \' '
        f"|| :tokens || '}}, \"reversed\": 0}}')::json, fulfilled_at=now() WHERE {order};",
        "-- ledger.post_many: the buyer's TOKEN wallet (created if missing), the XTR wallet debited, the",
        "-- issued and revenue buckets, the two transfers, their events, the order's events.",
        "INSERT INTO ledger_accounts (tenant_id, id, asset, user_id, system_name, bucket, balance, held, created_at) "
        "VALUES (:tenant::uuid, :new_account_id::uuid, 'TOKEN', :user_id::uuid, NULL, 0, :tokens::bigint, 0, now()) "
        "ON CONFLICT (tenant_id, asset, user_id) DO UPDATE SET balance = (ledger_accounts.balance + excluded.balance) "
        f"WHERE ledger_accounts.balance <= {MAX_BALANCE} - :tokens::bigint "
        r"RETURNING ledger_accounts.id AS token_account, ledger_accounts.balance AS token_balance \gset",
        "UPDATE ledger_accounts SET balance=(ledger_accounts.balance - :price::bigint), "
        "held=(ledger_accounts.held - 0::bigint) WHERE ledger_accounts.tenant_id = :tenant::uuid "
        "AND ledger_accounts.asset = 'XTR' AND ledger_accounts.user_id = :user_id::uuid "
        "AND ledger_accounts.balance - ledger_accounts.held >= :price::bigint "
        r"RETURNING ledger_accounts.id AS xtr_account, ledger_accounts.balance AS xtr_balance \gset",
        "UPDATE ledger_accounts SET balance=(ledger_accounts.balance + :minus_tokens::bigint) "
        "WHERE ledger_accounts.tenant_id = :tenant::uuid AND ledger_accounts.id = :issued_bucket::uuid "
        f"AND ledger_accounts.balance >= -{MAX_BALANCE} + :tokens::bigint RETURNING ledger_accounts.id;",
        "UPDATE ledger_accounts SET balance=(ledger_accounts.balance + :price::bigint) "
        "WHERE ledger_accounts.tenant_id = :tenant::uuid AND ledger_accounts.id = :revenue_bucket::uuid "
        f"AND ledger_accounts.balance <= {MAX_BALANCE} - :price::bigint RETURNING ledger_accounts.id;",
        f"INSERT INTO ledger_transfers ({_TRANSFER_COLUMNS}) VALUES (:tenant::uuid, :payment_id::uuid, 'XTR', "
        "'order_payment', :price::bigint, :xtr_account::uuid, :revenue_bucket::uuid, :xtr_balance::bigint, NULL, "
        "'order:' || :order_id, :link_id::uuid, '', '', now());",
        f"INSERT INTO ledger_transfers ({_TRANSFER_COLUMNS}) VALUES (:tenant::uuid, :delivery_id::uuid, 'TOKEN', "
        "'delivery', :tokens::bigint, :issued_bucket::uuid, :token_account::uuid, NULL, :token_balance::bigint, "
        "'order:' || :order_id, :link_id::uuid, '', '', now());",
        _EVENT.format(
            type="wallet.debited",
            data=_WALLET_EVENT_DATA.format(
                amount="price", asset="XTR", balance="xtr_balance", kind="order_payment", transfer="payment_id"
            ),
        ),
        _EVENT.format(
            type="wallet.credited",
            data=_WALLET_EVENT_DATA.format(
                amount="tokens", asset="TOKEN", balance="token_balance", kind="delivery", transfer="delivery_id"
            ),
        ),
        _EVENT.format(type="order.paid", data=_ORDER_EVENT_DATA.format(status="fulfilled")),
        _EVENT.format(type="order.fulfilled", data=_ORDER_EVENT_DATA.format(status="fulfilled")),
        "-- The idempotency record gets the response (the interceptor), and the transaction commits.",
        "UPDATE idempotency_records SET response=decode(repeat('5a', :response_bytes), 'hex'), transfer_id=NULL "
        f"WHERE idempotency_records.tenant_id = :tenant::uuid AND idempotency_records.method = '{METHOD}' "
        "AND idempotency_records.request_id = :request_id;",
        "COMMIT;",
    ]
    return "\n".join(lines) + "\n"


def script_statements(script: str) -> list[str]:
    """The SQL commands of a pgbench script (comments and meta-commands left out), one string each."""
    statements = []
    for line in script.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("--", "\\")):
            continue
        statements.append(stripped.removesuffix(r"\gset").strip())
    return statements


def main() -> None:
    if "--print" in sys.argv[1:]:
        sys.stdout.write(purchase_pgbench_script())
        return
    print("bench/purchase_pgbench.py holds the pgbench script of bench/purchase.py (--print shows it).")


if __name__ == "__main__":
    main()
