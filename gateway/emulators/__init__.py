"""Emulators of the three upstream APIs, for development, the demo and tests."""
