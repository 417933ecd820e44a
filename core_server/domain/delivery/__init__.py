"""Delivery through fulfillment providers: the worker that hands Stars and Premium tasks to a
provider such as Fragment and settles them by the provider's answer (above orders and fulfillment)."""
