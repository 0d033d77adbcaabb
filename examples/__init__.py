"""Example extensions of the gateway (see README, "Scripting")."""
