"""objectio.gateway."""
