"""Upstream clients: one per API, over one transport."""
