"""objectio.common."""
