"""`billing-hub`: the owner's command line — run the processes, manage tenants and keys.

Admin commands are clients of the core through the SDK like any other; only the commands that
run the core itself (`core`, `migrate`, `up`) import the core's modules, and only when invoked,
so `billing-hub tenant list` stays fast and needs no database driver.
"""
