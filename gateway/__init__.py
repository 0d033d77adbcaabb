"""catalog-gateway."""
