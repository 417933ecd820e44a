"""Referrals: the program, commissions and their clawbacks, tiers, earnings and payouts."""
