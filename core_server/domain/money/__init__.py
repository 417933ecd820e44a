"""Money: amounts and their bounds, a tenant's assets, the double-entry ledger, wallets and holds."""
