"""Process-level services: the embedded Postgres/Redis used when no URLs are configured."""
