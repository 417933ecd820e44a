-- The limit bench/ledger.py measures the hub against: the very statement the core runs for one
-- ChargeUsage on PostgreSQL (core_server/store/fastpath_pg.py, CHARGE_WITH_CLAIM: debit the
-- wallet, credit a revenue bucket, insert the transfer, its event and the idempotency record),
-- with the values the core computes in Python computed here instead.
-- Run by bench/ledger.py as: pgbench -n -M prepared -c N -j 2 -T S -D tenant=<uuid> -D users=<n>
--   -D buckets={<the 8 revenue bucket ids>} -f this
\set n random(1, :users)
\set bucket random(1, 8)
WITH debit AS (
    UPDATE ledger_accounts SET balance = balance - 1
    WHERE tenant_id = :tenant::uuid AND asset = 'TOKEN'
      AND user_id = ('00000000-0000-7000-8000-' || lpad(to_hex(:n::bigint), 12, '0'))::uuid
      AND balance - held >= 1
    RETURNING id, balance
), credit AS (
    UPDATE ledger_accounts SET balance = balance + 1
    WHERE tenant_id = :tenant::uuid AND id = (:buckets::uuid[])[:bucket::int] AND EXISTS (SELECT 1 FROM debit)
    RETURNING id
), transfer AS (
    INSERT INTO ledger_transfers (tenant_id, id, asset, kind, amount, debit_account_id, credit_account_id,
        debit_balance_after, credit_balance_after, reference, link_id, reason, actor, created_at)
    SELECT :tenant::uuid, gen_random_uuid(), 'TOKEN', 'usage', 1, debit.id, (SELECT id FROM credit), debit.balance,
        NULL, 'bench', NULL, '', '', now()
    FROM debit
    RETURNING id
), event AS (
    INSERT INTO events (tenant_id, id, tx_order, type, data, created_at)
    SELECT :tenant::uuid, nextval('events_id_seq'), pg_current_xact_id()::text::bigint, 'wallet.debited',
        '{"amount_minor":1,"asset":"TOKEN","balance_minor":' || debit.balance::text
        || ',"kind":"usage","reference":"bench","transfer_id":"' || transfer.id::text || '","user_id":"'
        || lpad(to_hex(:n::bigint), 12, '0') || '"}', now()
    FROM debit, transfer
    RETURNING id
), claim AS (
    INSERT INTO idempotency_records (tenant_id, method, request_id, request_hash, response, transfer_id, created_at)
    SELECT :tenant::uuid, '/billinghub.v1.WalletService/ChargeUsage', md5(random()::text), sha256(transfer.id::text::bytea),
        NULL, transfer.id, now()
    FROM transfer
    RETURNING 1
)
SELECT debit.balance, (SELECT count(*) FROM event) FROM debit;
