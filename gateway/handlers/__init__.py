"""One module per S3 operation family; each handler is ``async (Context) -> Response``."""
