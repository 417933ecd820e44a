"""Fulfillment tasks: outside work that an order needs, leased by processors; knows tasks, never orders."""
