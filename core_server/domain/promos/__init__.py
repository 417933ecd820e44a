"""Promo codes: credits redeemed once per user and discounts reserved by orders."""
