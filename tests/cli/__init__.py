"""Tests of the `billing-hub` command line and its supervisor."""
