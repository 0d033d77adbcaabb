"""GraphQL object types, each built from an upstream record (``Type.from_record(rec)``)."""
