"""Loopback fakes of cloud services that speak their real HTTP APIs (for tests, no network)."""
