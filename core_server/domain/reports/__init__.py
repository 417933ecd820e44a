"""Reports: read-only figures across features (tenant stats, revenue, referral statistics)."""
