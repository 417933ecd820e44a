"""`billing-hub`: the owner's command line — run the hub's processes, manage tenants and keys.

The owner commands (`tenant`, `key`) are clients of the core through the SDK like any other. The
process commands (`core`, `http`, `bots`, `migrate`, `up`) start the other packages as processes
(`python -m ...`), so this package imports none of them: `billing-hub tenant list` needs no
database driver, Quart or aiogram, and the core knows nothing of its launcher.
"""
