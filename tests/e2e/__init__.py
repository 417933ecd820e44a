"""End-to-end tests: the real `billing-hub` processes, started and driven the way a user does."""
