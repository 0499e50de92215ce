"""objectio.meta."""
