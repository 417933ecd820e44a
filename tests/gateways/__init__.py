"""Tests of the HTTP and bot gateways against in-process fakes of the core and of Telegram."""
