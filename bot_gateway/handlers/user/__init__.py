"""The buyer's side of a tenant bot: one router per feature, assembled in `handlers/__init__.py`."""
