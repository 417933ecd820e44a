"""Subscriptions: plans activated, extended, shortened, cancelled and expired; expiry notices."""
