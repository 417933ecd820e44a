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
_ORDER_EVENT_DATA = (
    """'{{"asset":"XTR","order_id":"' || :order_id || '","package_id":"' || :package || '","package_kind":"""
    """"token_pack","quantity":1,"recipient":"","status":"{status}","total_minor":' || :price || ',"""
    """"user_id":"' || :user_id || '"}}'"""
)
_WALLET_EVENT_DATA = (
    """'{{"amount_minor":' || {amount} || ',"asset":"{asset}","balance_minor":' || {balance} || ',"kind":"""
    """"{kind}","reference":"order:' || :order_id || '","transfer_id":"' || {transfer} || '","user_id":"'"""
    """ || :user_id || '"}}'"""
)


def purchase_pgbench_script() -> str:
    """The pgbench script of one PurchaseFromWallet of a token pack, as the core runs it on its fast
    path (core_server/domain/orders/payment.py purchase_fast, on a raw asyncpg connection): one read,
    then one statement, a transaction by itself: the four balance rows in the lock order, each leg
    after the one before it, and every insert reading the legs' account ids and balances after."""
    order_event = _ORDER_EVENT_DATA
    xtr_after, token_after = "(SELECT balance FROM leg2)", "(SELECT balance FROM leg1)"
    lines = [
        r"\set n random(1, :users)",
        r"\set rb random(1, 8)",
        r"\set ib random(1, 8)",
        r"\set minus_tokens -1 * :tokens",
        "-- The buyer and the package with its price in the asset paid ('' = the primary price) in one read",
        "-- (orders_repo.purchase_facts, before any transaction); the ids the core makes in Python come back",
        "-- with it.",
        "SELECT u.referrer_id IS NOT NULL AS has_referrer, p.kind, p.active, p.archived, pp.asset, "
        "pp.amount, p.per_unit, p.min_quantity, p.max_quantity, p.delivers_asset, p.delivers_amount, "
        "p.active_days, (SELECT s.order_ttl_seconds FROM tenant_settings s WHERE s.tenant_id = :tenant::uuid) "
        "AS ttl, u.blocked, COALESCE((SELECT w.balance - w.held FROM ledger_accounts w WHERE w.tenant_id = "
        ":tenant::uuid AND w.asset = pp.asset AND w.user_id = u.id), 0) AS available, "
        f"u.id AS user_id, {_UUID7} AS order_id, {_UUID7} AS link_id, {_UUID7} AS payment_id, "
        f"{_UUID7} AS delivery_id, {_UUID7} AS new_account_id, md5(random()::text) AS request_id, "
        "(:revenue::uuid[])[:rb] AS revenue_bucket, (:issued::uuid[])[:ib] AS issued_bucket "
        "FROM users u JOIN packages p ON p.tenant_id = :tenant::uuid AND p.id = :package::uuid "
        "LEFT JOIN package_prices pp ON pp.tenant_id = :tenant::uuid AND pp.package_id = p.id "
        "AND pp.asset = CASE WHEN '' = '' THEN p.price_asset ELSE '' END "  # the price in the asset paid ('': primary)
        rf"WHERE u.tenant_id = :tenant::uuid AND u.id = {_USER_ID} \gset",
        "-- One statement (ledger.post_many_later and the unit's deferred writes): the four balance rows in",
        "-- the lock order (the wallets by (user, asset), TOKEN before XTR, then the system accounts by",
        "-- name, issued before revenue), each leg only after the one before it changed its row; then the",
        "-- two transfers, the order, the idempotency record (the balances after before its response) and",
        "-- the five events, reading the legs; it selects the balances the answer is patched with.",
        "WITH leg1 AS (INSERT INTO ledger_accounts (tenant_id, id, asset, user_id, system_name, bucket, balance, "
        "held, created_at) SELECT :tenant::uuid, :new_account_id::uuid, 'TOKEN', :user_id::uuid, NULL, 0, "
        ":tokens::bigint, 0, now() WHERE TRUE AND EXISTS (SELECT 1 FROM users WHERE tenant_id = :tenant::uuid "
        "AND id = :user_id::uuid) AND EXISTS (SELECT 1 FROM assets WHERE tenant_id = :tenant::uuid AND code = "
        "'TOKEN') ON CONFLICT (tenant_id, asset, user_id) DO UPDATE SET balance = ledger_accounts.balance "
        f"+ excluded.balance WHERE ledger_accounts.balance <= {MAX_BALANCE} - :tokens::bigint "
        "RETURNING id, balance, held), "
        "leg2 AS (UPDATE ledger_accounts SET balance = balance - :price::bigint WHERE tenant_id = :tenant::uuid "
        "AND asset = 'XTR' AND user_id = :user_id::uuid AND balance - held >= :price::bigint "
        "AND EXISTS (SELECT 1 FROM leg1) RETURNING id, balance, held), "
        "leg3 AS (UPDATE ledger_accounts SET balance = balance + :minus_tokens::bigint WHERE tenant_id = "
        f":tenant::uuid AND id = :issued_bucket::uuid AND balance + :minus_tokens::bigint + {MAX_BALANCE} >= 0 "
        "AND EXISTS (SELECT 1 FROM leg2) RETURNING id, NULL::bigint AS balance), "
        "leg4 AS (UPDATE ledger_accounts SET balance = balance + :price::bigint WHERE tenant_id = :tenant::uuid "
        f"AND id = :revenue_bucket::uuid AND balance + :price::bigint <= {MAX_BALANCE} "
        "AND EXISTS (SELECT 1 FROM leg3) RETURNING id, NULL::bigint AS balance), "
        f"i5 AS (INSERT INTO ledger_transfers ({_TRANSFER_COLUMNS}) VALUES (:tenant::uuid, :payment_id::uuid, "
        "'XTR', 'order_payment', :price::bigint, (SELECT id FROM leg2), (SELECT id FROM leg4), "
        f"{xtr_after}, NULL, 'order:' || :order_id, :link_id::uuid, '', '', now()), (:tenant::uuid, "
        ":delivery_id::uuid, 'TOKEN', 'delivery', :tokens::bigint, (SELECT id FROM leg3), (SELECT id FROM leg1), "
        f"NULL, {token_after}, 'order:' || :order_id, :link_id::uuid, '', '', now())), "
        f"i6 AS (INSERT INTO orders ({_ORDER_COLUMNS}) VALUES (:tenant::uuid, :order_id::uuid, :user_id::uuid, "
        ":package::uuid, 'token_pack', 1, '', 'XTR', :price::bigint, 0, :price::bigint, NULL, 'fulfilled', "
        '\'wallet\', 0, \'\', (\'{"credited": {"asset": "TOKEN", "amount": \' || :tokens || '
        "'}, \"reversed\": 0}')::json, now() + interval '1 hour', NULL, now(), now(), now(), NULL)), "
        "i7 AS (INSERT INTO idempotency_records (tenant_id, method, request_id, request_hash, response, "
        f"transfer_id, created_at) VALUES (:tenant::uuid, '{METHOD}', :request_id, sha256(random()::text::bytea), "
        f"'\\x0002'::bytea || int8send({xtr_after}) || int8send({token_after}) || "
        "decode(repeat('5a', :response_bytes), 'hex'), NULL, now())), "
        "i8 AS (INSERT INTO events (tenant_id, id, tx_order, type, data, created_at) VALUES "
        + ", ".join(
            f"(:tenant::uuid, nextval('events_id_seq'), pg_current_xact_id()::text::bigint, '{type_}', {data}, now())"
            for type_, data in (
                ("order.created", order_event.format(status="pending")),
                (
                    "wallet.debited",
                    _WALLET_EVENT_DATA.format(
                        amount=":price", asset="XTR", balance=xtr_after, kind="order_payment", transfer=":payment_id"
                    ),
                ),
                (
                    "wallet.credited",
                    _WALLET_EVENT_DATA.format(
                        amount=":tokens",
                        asset="TOKEN",
                        balance=token_after,
                        kind="delivery",
                        transfer=":delivery_id",
                    ),
                ),
                ("order.paid", order_event.format(status="fulfilled")),
                ("order.fulfilled", order_event.format(status="fulfilled")),
            )
        )
        + f") SELECT {xtr_after}, {token_after};",
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
