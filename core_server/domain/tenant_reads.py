"""What a bot admin needs for a gateway key to read a user-owned family across the tenant.

A gateway key has end-user rights: it reads one named user's records (`user_id`). Reading a
family without naming a user (every user's top-up receipts, payments, plans, ledger) is staff
work, made on behalf of the bot admin named in `x-on-behalf-of`, who must hold the permission
below (Actor.require_staff_for_tenant_read). By-id reads follow the same rule: naming the user
makes another user's object NOT_FOUND, naming nobody needs the permission. core_server/api/access.py
says why each permission; orders keep theirs beside their buyer reads (buyer_orders.py).

By-id mutations a bot makes for its user follow the rule too: CancelSubscription naming the user
makes another user's plan NOT_FOUND (checked under its lock), and naming nobody needs the
permission below.
"""

from __future__ import annotations

from core_server.domain.actor import AdminPermission

# the bot's queues screens (/health counts them too) decide these requests
TENANT_TOPUP_READS = AdminPermission.QUEUES
TENANT_PAYOUT_READS = AdminPermission.QUEUES
# the orders section (a Stars order's payment before its refund) is the refunds admin's
TENANT_PAYMENT_READS = AdminPermission.REFUNDS
# a plan is a person's, read on the profile screen of the users section
TENANT_SUBSCRIPTION_READS = AdminPermission.USERS
# and stopping another person's renewal by id is done from the same profile screen
TENANT_SUBSCRIPTION_WRITES = AdminPermission.USERS
# the ledger is where the adjust admin checks and corrects balances
TENANT_TRANSFER_READS = AdminPermission.ADJUST
