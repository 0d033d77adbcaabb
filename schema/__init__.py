"""GraphQL schema."""
