"""Inline keyboards of the screens, one module per screen family; texts come translated."""
