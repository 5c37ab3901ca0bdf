"""FastAPI app: REST /api/v1 (OpenAPI), staff web pages, auth."""
